CREATE INDEX "inspections_review_queue_idx" ON "inspections" USING btree ("line_id","received_at","id") WHERE (("inspections"."disposition" = 'held' and "inspections"."verdict" is null)
      or ("inspections"."escalated" and "inspections"."cloud_label" is distinct from "inspections"."edge_label"
          and "inspections"."cloud_label" is not null and "inspections"."edge_label" is not null)
      or "inspections"."escalation_reason" = 'audit');--> statement-breakpoint
CREATE INDEX "inspections_review_queue_all_idx" ON "inspections" USING btree ("received_at","id") WHERE (("inspections"."disposition" = 'held' and "inspections"."verdict" is null)
      or ("inspections"."escalated" and "inspections"."cloud_label" is distinct from "inspections"."edge_label"
          and "inspections"."cloud_label" is not null and "inspections"."edge_label" is not null)
      or "inspections"."escalation_reason" = 'audit');