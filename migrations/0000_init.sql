CREATE TABLE "cost_ledger" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"line_id" text NOT NULL,
	"inspection_id" uuid NOT NULL,
	"tier" text NOT NULL,
	"tokens" integer NOT NULL,
	"cost" double precision NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inspections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"line_id" text NOT NULL,
	"plant_id" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	"question" text,
	"policy_version" integer,
	"edge_label" text,
	"edge_probabilities" jsonb,
	"edge_budget" integer,
	"edge_tokens" integer,
	"edge_model" text,
	"edge_latency_ms" double precision,
	"edge_cost" double precision,
	"cloud_label" text,
	"cloud_probabilities" jsonb,
	"cloud_budget" integer,
	"cloud_tokens" integer,
	"cloud_model" text,
	"cloud_latency_ms" double precision,
	"cloud_cost" double precision,
	"cloud_answer" double precision,
	"verdict" text,
	"decided_by" text,
	"escalated" boolean DEFAULT false NOT NULL,
	"latency_ms" double precision,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lines" (
	"id" text PRIMARY KEY NOT NULL,
	"plant_id" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "models" (
	"name" text PRIMARY KEY NOT NULL,
	"role" text NOT NULL,
	"sha256" text NOT NULL,
	"labels" jsonb NOT NULL,
	"patch_size" integer NOT NULL,
	"budgets" jsonb NOT NULL,
	"manifest" jsonb NOT NULL,
	"registered_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policies" (
	"line_id" text NOT NULL,
	"version" integer NOT NULL,
	"author" text NOT NULL,
	"reason" text NOT NULL,
	"body" jsonb NOT NULL,
	"rolled_back_to" integer,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "policies_line_id_version_pk" PRIMARY KEY("line_id","version")
);
--> statement-breakpoint
CREATE TABLE "reviews" (
	"id" uuid PRIMARY KEY NOT NULL,
	"inspection_id" uuid NOT NULL,
	"label" text NOT NULL,
	"reviewer" text NOT NULL,
	"note" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scaling_points" (
	"report_id" text NOT NULL,
	"budget" integer NOT NULL,
	"accuracy" double precision NOT NULL,
	"error" double precision NOT NULL,
	"ece" double precision NOT NULL,
	"latency_ms_per_image" double precision NOT NULL,
	"tokens_per_image" integer NOT NULL,
	"per_class" jsonb NOT NULL,
	"answer_accuracy" double precision,
	CONSTRAINT "scaling_points_report_id_budget_pk" PRIMARY KEY("report_id","budget")
);
--> statement-breakpoint
CREATE TABLE "scaling_reports" (
	"id" text PRIMARY KEY NOT NULL,
	"model" text NOT NULL,
	"model_sha256" text NOT NULL,
	"dataset_path" text NOT NULL,
	"dataset_count" integer NOT NULL,
	"dataset_description" text,
	"question" text,
	"created_at" timestamp with time zone NOT NULL,
	"command" text NOT NULL,
	"fits" jsonb NOT NULL,
	"imported_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cost_ledger" ADD CONSTRAINT "cost_ledger_line_id_lines_id_fk" FOREIGN KEY ("line_id") REFERENCES "public"."lines"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspections" ADD CONSTRAINT "inspections_line_id_lines_id_fk" FOREIGN KEY ("line_id") REFERENCES "public"."lines"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspections" ADD CONSTRAINT "inspections_plant_id_plants_id_fk" FOREIGN KEY ("plant_id") REFERENCES "public"."plants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lines" ADD CONSTRAINT "lines_plant_id_plants_id_fk" FOREIGN KEY ("plant_id") REFERENCES "public"."plants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policies" ADD CONSTRAINT "policies_line_id_lines_id_fk" FOREIGN KEY ("line_id") REFERENCES "public"."lines"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_inspection_id_inspections_id_fk" FOREIGN KEY ("inspection_id") REFERENCES "public"."inspections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scaling_points" ADD CONSTRAINT "scaling_points_report_id_scaling_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."scaling_reports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "cost_ledger_inspection_tier_idx" ON "cost_ledger" USING btree ("inspection_id","tier");--> statement-breakpoint
CREATE INDEX "cost_ledger_line_time_idx" ON "cost_ledger" USING btree ("line_id","at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "inspections_line_time_idx" ON "inspections" USING btree ("line_id","received_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "inspections_plant_time_idx" ON "inspections" USING btree ("plant_id","received_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "inspections_time_idx" ON "inspections" USING btree ("received_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "inspections_verdict_time_idx" ON "inspections" USING btree ("verdict","received_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "inspections_decided_by_time_idx" ON "inspections" USING btree ("decided_by","received_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "inspections_escalated_time_idx" ON "inspections" USING btree ("line_id","received_at" DESC NULLS LAST) WHERE "inspections"."escalated";--> statement-breakpoint
CREATE INDEX "lines_plant_idx" ON "lines" USING btree ("plant_id");--> statement-breakpoint
CREATE INDEX "reviews_inspection_idx" ON "reviews" USING btree ("inspection_id","created_at");--> statement-breakpoint
CREATE INDEX "scaling_reports_model_idx" ON "scaling_reports" USING btree ("model","created_at" DESC NULLS LAST);