// Explicit list: discovery by glob breaks between tsx, jest and bundled builds.
import { Migration20261123000000_initial } from './Migration20261123000000_initial.ts';

export const migrationsList = [
  { name: 'Migration20261123000000_initial', class: Migration20261123000000_initial },
];
