-- Issue 13: analytics facts, the tenant-local daily rollup, sub-account settings and lead score.
--
-- Facts are append-only rows (status changes, assignments, activities; a lead's creation is its row
-- in `leads`). The rollup `analytics_daily` holds only additive count/sum per (sub-account, local
-- day, dimension type, dimension id, metric); it is written by triggers on the facts, so every writer
-- (PATCH, GoHighLevel events, WhatsApp capture, manual leads, ingest) updates it in the SAME
-- transaction as the fact, and rebuilt by analytics_rebuild() from the facts with the same rules.
-- Hours are read from the facts (their ranges are short), weeks and months are summed from days.

-- Sub-account settings ----------------------------------------------------------------------------
ALTER TABLE "sub_accounts"
  ADD COLUMN "timezone" VARCHAR(64) NOT NULL DEFAULT 'UTC',
  ADD COLUMN "funnel_stages" TEXT[] NOT NULL DEFAULT ARRAY['NEW','CONTACTED','QUALIFIED','CONVERTED']::TEXT[],
  ADD COLUMN "score_weights" JSONB;

-- Leads: assignee, score, and where the lead came from (its first touch, fixed at creation: the
-- rollup's dimensions of every fact about the lead, identical for the incremental writer and a rebuild)
ALTER TABLE "leads"
  ADD COLUMN "assigned_user_id" TEXT,
  ADD COLUMN "assigned_user_name" TEXT,
  ADD COLUMN "score" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "origin_platform" TEXT,
  ADD COLUMN "origin_integration_id" INTEGER,
  ADD COLUMN "origin_campaign_id" TEXT;

UPDATE "leads" l SET
  "origin_platform" = s.platform, "origin_integration_id" = s.integration_id, "origin_campaign_id" = s.campaign_id
FROM (SELECT DISTINCT ON (lead_id) lead_id, platform, integration_id, campaign_id
      FROM "lead_sources" ORDER BY lead_id, created_at, id) s
WHERE s.lead_id = l.id;

CREATE INDEX "leads_sub_account_id_score_idx" ON "leads"("sub_account_id", "score");

-- Facts -------------------------------------------------------------------------------------------
CREATE TYPE "ActivityType" AS ENUM ('CALL', 'EMAIL', 'MEETING', 'NOTE', 'WHATSAPP');
CREATE TYPE "ActivityOutcome" AS ENUM ('ANSWERED', 'NO_ANSWER', 'BUSY', 'FAILED');

CREATE TABLE "lead_status_changes" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "lead_id" BIGINT NOT NULL,
    "from_status" "LeadStatus",
    "to_status" "LeadStatus" NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "by" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "assigned_user_id" TEXT,
    CONSTRAINT "lead_status_changes_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "lead_status_changes_sub_account_id_at_idx" ON "lead_status_changes"("sub_account_id", "at");
CREATE INDEX "lead_status_changes_lead_id_at_idx" ON "lead_status_changes"("lead_id", "at");
ALTER TABLE "lead_status_changes" ADD CONSTRAINT "lead_status_changes_lead_id_fkey"
  FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "lead_assignments" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "lead_id" BIGINT NOT NULL,
    "from_user_id" TEXT,
    "to_user_id" TEXT,
    "to_user_name" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "by" TEXT NOT NULL,
    CONSTRAINT "lead_assignments_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "lead_assignments_sub_account_id_at_idx" ON "lead_assignments"("sub_account_id", "at");
CREATE INDEX "lead_assignments_lead_id_at_idx" ON "lead_assignments"("lead_id", "at");
ALTER TABLE "lead_assignments" ADD CONSTRAINT "lead_assignments_lead_id_fkey"
  FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "lead_activities" (
    "id" BIGSERIAL NOT NULL,
    "sub_account_id" INTEGER NOT NULL,
    "lead_id" BIGINT NOT NULL,
    "type" "ActivityType" NOT NULL,
    "outcome" "ActivityOutcome",
    "user_id" TEXT NOT NULL,
    "user_name" TEXT,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "duration_seconds" INTEGER,
    "note" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "lead_activities_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "lead_activities_sub_account_id_occurred_at_idx" ON "lead_activities"("sub_account_id", "occurred_at");
CREATE INDEX "lead_activities_lead_id_occurred_at_idx" ON "lead_activities"("lead_id", "occurred_at");
ALTER TABLE "lead_activities" ADD CONSTRAINT "lead_activities_lead_id_fkey"
  FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The rollup ---------------------------------------------------------------------------------------
-- dim_type/dim_id: source = "<platform>|<integration id or empty>", campaign = "<platform>|<campaign id
-- or empty>", status = a LeadStatus, user = an agent's user id. Metrics: new, converted, lost (lead
-- dims and user), entered (status: leads that entered it), net (status: +1 entering, -1 leaving; the
-- stock at the end of day D is the sum of net over days <= D), assigned, calls, calls_answered,
-- activities (user; sum = call seconds). No NULL anywhere in the key.
CREATE TABLE "analytics_daily" (
    "sub_account_id" INTEGER NOT NULL,
    "day" DATE NOT NULL,
    "dim_type" TEXT NOT NULL,
    "dim_id" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "count" BIGINT NOT NULL DEFAULT 0,
    "sum" DECIMAL(20,4) NOT NULL DEFAULT 0,
    CONSTRAINT "analytics_daily_pkey" PRIMARY KEY ("sub_account_id", "day", "dim_type", "dim_id", "metric")
);
CREATE INDEX "analytics_daily_sub_account_id_dim_type_metric_day_idx"
  ON "analytics_daily"("sub_account_id", "dim_type", "metric", "day");
