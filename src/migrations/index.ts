// Explicit list: discovery by glob breaks between tsx, jest and bundled builds.
import { Migration20261123000000_initial } from './Migration20261123000000_initial.ts';
import { Migration20261201000000_intake_outbox } from './Migration20261201000000_intake_outbox.ts';
import { Migration20261202000000_money_guards } from './Migration20261202000000_money_guards.ts';

export const migrationsList = [
  { name: 'Migration20261123000000_initial', class: Migration20261123000000_initial },
  { name: 'Migration20261201000000_intake_outbox', class: Migration20261201000000_intake_outbox },
  { name: 'Migration20261202000000_money_guards', class: Migration20261202000000_money_guards },
];
