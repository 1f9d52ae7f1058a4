-- The admin audit trail: every change an administrator or an API key makes, written by the statement right after
-- the change in the change's own D1 batch (worker/audit/record.ts), so a change that fails or touches nothing leaves
-- no row. Who is kept as ids AND names as they were: the trail must still read after the admin, the key's owner or
-- the object is deleted, hence no foreign keys. `before` / `after` are JSON with secrets masked.
CREATE TABLE `admin_audit` (
	`id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`actor_user_id` text,
	`actor_login` text,
	`api_key_id` text,
	`api_key_name` text,
	`action` text NOT NULL,
	`object_type` text NOT NULL,
	`object_id` text,
	`object_name` text,
	`before` text,
	`after` text,
	`ip` text,
	`client` text
);
--> statement-breakpoint
CREATE INDEX `admin_audit_at_idx` ON `admin_audit` (`at`,`id`);
--> statement-breakpoint
CREATE INDEX `admin_audit_actor_at_idx` ON `admin_audit` (`actor_user_id`,`at`);
--> statement-breakpoint
CREATE INDEX `admin_audit_object_at_idx` ON `admin_audit` (`object_type`,`object_id`,`at`);
