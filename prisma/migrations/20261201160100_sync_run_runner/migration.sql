-- Issue 14: the job attempt that owns a sync run (a fencing token). A run is handed from job to job
-- (each fits its lease); an attempt whose lease expired and whose run another attempt claimed can no
-- longer commit a page or end the run.
-- AlterTable
ALTER TABLE "sync_runs" ADD COLUMN     "runner" UUID;
