/** The daemon events (by kind prefix) after which the overview reloads what it shows. */
export const OVERVIEW_REFRESH = [
  'attachment',
  'tenant',
  'pool',
  'drift',
  'health',
  'apply',
  'inventory',
  'reconcile',
];
