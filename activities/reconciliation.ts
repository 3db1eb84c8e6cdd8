// Placeholder: reconciliation activities (issue 6). Registered on the payments pool.
export function createReconciliationActivities(_deps: unknown) {
  return {};
}
