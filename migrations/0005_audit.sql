CREATE TABLE `audit_checkpoints` (
	`seq` integer PRIMARY KEY NOT NULL,
	`head_hash` text NOT NULL,
	`at` integer NOT NULL,
	`reason` text NOT NULL,
	`signature` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `audit_log` (
	`seq` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`key_id` text,
	`action` text NOT NULL,
	`method` text,
	`route` text,
	`scope` text,
	`status` integer,
	`detail` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_key_idx` ON `audit_log` (`key_id`,`seq`);