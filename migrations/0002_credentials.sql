CREATE TABLE `credentials` (
	`name` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`ciphertext` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
