-- API keys get a scope (verify / read / admin), an owner and an optional expiry. A key works only while its
-- owner is an enabled administrator (checked in the statement that looks the key up).
--
-- Existing keys: every key so far was a full admin, so they keep scope 'admin' (narrowing them would cut off the
-- integrations that use them; the list now shows the scope so an admin can replace them with narrower ones).
-- Their owner is the admin who created them (`created_by_user_id`, renamed `owner_user_id`), which every key made
-- in the admin center or by the seed records. A key whose creator was deleted has no owner and is refused from now
-- on: that is exactly the key that outlived its admin, and no one else vouched for it. Giving it to some other
-- admin would silently keep alive the access the upgrade is meant to end.
--
-- The table is rebuilt rather than altered so that `scope` is NOT NULL without a default: a future INSERT that
-- forgets the scope must fail, not quietly create an admin key.
CREATE TABLE `api_keys_new` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`key_hash` text NOT NULL,
	`key_prefix` text NOT NULL,
	`scope` text NOT NULL,
	`owner_user_id` text,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`owner_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "api_keys_scope" CHECK("scope" IN ('verify', 'read', 'admin'))
);
--> statement-breakpoint
INSERT INTO `api_keys_new` (`id`, `name`, `key_hash`, `key_prefix`, `scope`, `owner_user_id`, `created_at`, `last_used_at`, `expires_at`, `revoked_at`)
	SELECT `id`, `name`, `key_hash`, `key_prefix`, 'admin', `created_by_user_id`, `created_at`, `last_used_at`, NULL, `revoked_at` FROM `api_keys`;
--> statement-breakpoint
DROP TABLE `api_keys`;
--> statement-breakpoint
ALTER TABLE `api_keys_new` RENAME TO `api_keys`;
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);
--> statement-breakpoint
CREATE INDEX `api_keys_owner_idx` ON `api_keys` (`owner_user_id`);
