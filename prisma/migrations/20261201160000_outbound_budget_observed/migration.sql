-- Issue 14: an integration's outbound budget as the provider reports it (X-RateLimit-Remaining and
-- its reset, GoHighLevel's spent daily budget), kept beside the shared bucket so that every process's
-- `GET /api/integrations/:id/health` reads the same state.
-- AlterTable
ALTER TABLE "rate_limit_buckets" ADD COLUMN     "observed_remaining" INTEGER,
ADD COLUMN     "observed_reset_at" TIMESTAMPTZ(6);
