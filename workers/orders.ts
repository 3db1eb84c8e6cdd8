// The orders pool worker process (task queue 'orders'). Config comes from the environment;
// see workers/runner.ts for what starts and how it shuts down.
import { runWorkerProcess } from './runner.ts';

await runWorkerProcess(['orders']);
