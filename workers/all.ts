// Every pool listed in WORKER_POOLS (default: all four) in one process — for local
// development and small deployments.
import { runWorkerProcess } from './runner.ts';

await runWorkerProcess();
