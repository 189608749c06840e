CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"all_plants" boolean DEFAULT false NOT NULL,
	"plant_ids" jsonb NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "inspection_images" (
	"inspection_id" uuid PRIMARY KEY NOT NULL,
	"mime" text NOT NULL,
	"bytes" "bytea" NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "disposition" text;--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "escalation_reason" text;--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "ladder" jsonb;--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "edge_confidence" double precision;--> statement-breakpoint
ALTER TABLE "inspections" ADD COLUMN "cloud_late" boolean;--> statement-breakpoint
ALTER TABLE "lines" ADD COLUMN "edge_url" text;--> statement-breakpoint
ALTER TABLE "scaling_points" ADD COLUMN "vision_answer_accuracy" double precision;--> statement-breakpoint
ALTER TABLE "scaling_points" ADD COLUMN "vision_posterior_answer_accuracy" double precision;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_secret_hash_idx" ON "api_keys" USING btree ("secret_hash");