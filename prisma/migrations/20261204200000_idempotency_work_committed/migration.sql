-- Idempotency-Key: the work's own transaction marks its claim (work_committed_at), so the mark commits or
-- rolls back with the work. A claim whose lease ran out with the work committed but no answer stored (the
-- process died in between) is never taken over to do the work again: a retry is told the answer was lost.

-- AlterTable
ALTER TABLE "idempotency_keys" ADD COLUMN     "work_committed_at" TIMESTAMPTZ(3);
