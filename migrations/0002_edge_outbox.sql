CREATE TABLE "edge_inspections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"node_id" text NOT NULL,
	"plant_id" text NOT NULL,
	"line_id" text NOT NULL,
	"source" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone NOT NULL,
	"question" text,
	"policy_version" integer NOT NULL,
	"status" text NOT NULL,
	"disposition" text NOT NULL,
	"escalation_reason" text,
	"decision" jsonb NOT NULL,
	"edge_label" text NOT NULL,
	"edge_confidence" double precision NOT NULL,
	"edge_probabilities" jsonb NOT NULL,
	"ladder" jsonb NOT NULL,
	"edge_latency_ms" double precision NOT NULL,
	"deadline_at" timestamp with time zone,
	"cloud_label" text,
	"cloud_probabilities" jsonb,
	"cloud_answer" double precision,
	"final_label" text,
	"settled_at" timestamp with time zone,
	"image_path" text
);
--> statement-breakpoint
CREATE TABLE "edge_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"inspection_id" uuid NOT NULL,
	"topic" text NOT NULL,
	"key" text NOT NULL,
	"value" "bytea" NOT NULL,
	"headers" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
CREATE INDEX "edge_inspections_line_time_idx" ON "edge_inspections" USING btree ("line_id","received_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "edge_inspections_pending_deadline_idx" ON "edge_inspections" USING btree ("deadline_at") WHERE "edge_inspections"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "edge_inspections_image_time_idx" ON "edge_inspections" USING btree ("received_at") WHERE "edge_inspections"."image_path" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "edge_outbox_inspection_topic_idx" ON "edge_outbox" USING btree ("inspection_id","topic");--> statement-breakpoint
CREATE INDEX "edge_outbox_unsent_idx" ON "edge_outbox" USING btree ("next_attempt_at","id") WHERE "edge_outbox"."sent_at" is null;