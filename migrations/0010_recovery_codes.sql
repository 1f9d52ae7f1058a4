-- Recovery codes (token type RECOVERY_CODES): one row per code of a set, holding only the code's keyed hash
-- (HMAC-SHA-256 under the 'recovery-code-hashing' key over the token id and the canonical code), so a copy of this
-- table cannot be searched offline without the Worker's secret. `used_at` is set by the one conditional UPDATE
-- that accepts the code; `voided_at` by an administrator voiding the set. Either makes the code refused.
CREATE TABLE `recovery_codes` (
	`token_id` text NOT NULL,
	`code_hash` text NOT NULL,
	`used_at` integer,
	`voided_at` integer,
	PRIMARY KEY(`token_id`, `code_hash`),
	FOREIGN KEY (`token_id`) REFERENCES `tokens`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- A user has at most one set: generating a new one deletes the old in the same batch, and this holds it also
-- against two generations racing.
CREATE UNIQUE INDEX `tokens_one_recovery_set_per_user` ON `tokens` (`owner_user_id`) WHERE type = 'RECOVERY_CODES';
