// Every workflow the `checkout` pool runs. The worker bundles this file.
export { checkout } from './checkout.ts';
export { reconciliation } from './reconciliation.ts';
