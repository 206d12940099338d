CREATE TABLE `memories` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`agent_id` text,
	`shared` integer DEFAULT false NOT NULL,
	`kind` text NOT NULL,
	`text` text NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`source` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`embedding` F32_BLOB(256)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `memories_id_idx` ON `memories` (`id`);--> statement-breakpoint
CREATE INDEX `memories_agent_idx` ON `memories` (`agent_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `memories_shared_idx` ON `memories` (`created_at`) WHERE "memories"."shared" = 1;--> statement-breakpoint
CREATE INDEX `memories_kind_idx` ON `memories` (`kind`,`created_at`);--> statement-breakpoint
CREATE INDEX `memories_created_idx` ON `memories` (`created_at`);--> statement-breakpoint
CREATE INDEX `memories_expires_idx` ON `memories` (`expires_at`) WHERE "memories"."expires_at" is not null;--> statement-breakpoint
CREATE TABLE `memory_settings` (
	`id` integer PRIMARY KEY NOT NULL,
	`embedder` text NOT NULL,
	`pending_embedder` text,
	`vector_index` text NOT NULL,
	`generation` integer NOT NULL,
	`reembed_started_at` integer,
	`reembed_cursor` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `memory_tags` (
	`tag` text NOT NULL,
	`seq` integer NOT NULL,
	PRIMARY KEY(`tag`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `memory_tags_seq_idx` ON `memory_tags` (`seq`);