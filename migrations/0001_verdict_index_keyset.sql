DROP INDEX "inspections_verdict_time_idx";--> statement-breakpoint
DROP INDEX "inspections_decided_by_time_idx";--> statement-breakpoint
CREATE INDEX "inspections_verdict_time_idx" ON "inspections" USING btree ("verdict","received_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "inspections_decided_by_time_idx" ON "inspections" USING btree ("decided_by","received_at" DESC NULLS LAST,"id" DESC NULLS LAST);