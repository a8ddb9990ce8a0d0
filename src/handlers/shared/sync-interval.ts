/**
 * API.md "Standard handler configuration": "Template schemas may also let an integration set
 * `syncIntervalMinutes` (integer, ≥ 1)". The scheduler honours it for every handler that syncs
 * (SyncRunsRepository.due); each syncing handler's default schema, and so each seeded template,
 * offers it; left out, SYNC_INTERVAL_MINUTES (default 15) applies.
 */
export const SYNC_INTERVAL_PROPERTY: Record<'syncIntervalMinutes', Record<string, unknown>> = {
  syncIntervalMinutes: {
    type: 'integer',
    title: 'Sync every (minutes)',
    description: 'How often scheduled syncs run for this integration (default: the deployment setting).',
    minimum: 1,
  },
};
