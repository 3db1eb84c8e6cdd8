// Records replay fixtures in test/workflow/histories/ from real runs: the e2e suite
// (separate worker processes, local dev server) and the time-skipping workflow suite save
// each path's history as checkout-v3-<path>.json when RECORD_HISTORIES=1. Histories from
// before a patch (checkout-<path>.json, checkout-lean-<path>.json) are never overwritten: they prove the old branch
// still replays. After the next patch, rename the prefix the suites write. Run after an
// intentional, patched() change:
//   node scripts/record-workflow-histories.ts
import { spawnSync } from 'node:child_process';

const r = spawnSync(process.execPath, ['scripts/test.ts', 'test/e2e/checkout.test.ts', 'test/workflow/checkout.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, RECORD_HISTORIES: '1' },
});
process.exit(r.status ?? 1);
