CREATE TABLE `agent_approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`task_id` text NOT NULL,
	`tool` text NOT NULL,
	`arguments` text NOT NULL,
	`state` text NOT NULL,
	`requested_at` integer NOT NULL,
	`decided_at` integer,
	`decided_by` text,
	`reason` text
);
--> statement-breakpoint
CREATE INDEX `agent_approvals_state_idx` ON `agent_approvals` (`state`,`requested_at`);--> statement-breakpoint
CREATE INDEX `agent_approvals_agent_idx` ON `agent_approvals` (`agent_id`);--> statement-breakpoint
CREATE TABLE `agent_specs` (
	`agent_id` text PRIMARY KEY NOT NULL,
	`spec` text NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `agent_usage` (
	`agent_id` text NOT NULL,
	`day` text NOT NULL,
	`tokens_in` integer DEFAULT 0 NOT NULL,
	`tokens_out` integer DEFAULT 0 NOT NULL,
	`steps` integer DEFAULT 0 NOT NULL,
	`tool_calls` integer DEFAULT 0 NOT NULL,
	`tasks_done` integer DEFAULT 0 NOT NULL,
	`tasks_failed` integer DEFAULT 0 NOT NULL,
	`cost` real,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`agent_id`, `day`)
);
