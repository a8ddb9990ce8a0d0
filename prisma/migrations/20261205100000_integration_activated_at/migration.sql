-- When an integration was first switched on (isActive true): a passed connection test switches on an
-- integration that never was, whether it waits as `pending` or a first test failed (`error`); one
-- switched off by an admin stays off.
ALTER TABLE "integrations" ADD COLUMN "activated_at" TIMESTAMPTZ(3);

-- Existing integrations that are on, or passed a test, have been switched on (when is unknown: their
-- last change stands for it). Those in `error` or `pending` and off are taken as never switched on.
UPDATE "integrations" SET "activated_at" = "updated_at" WHERE "is_active" OR "status" = 'active';
