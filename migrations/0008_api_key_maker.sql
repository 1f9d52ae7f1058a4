-- A key made by another key records that key: revoking a leaked admin key also revokes the read/verify keys it
-- made (keys only make strictly narrower keys, so the chain is one level deep). Keys made by an admin signed in
-- have NULL here. Existing keys were all made by sessions or the seed.
ALTER TABLE `api_keys` ADD `created_by_key_id` text REFERENCES api_keys(id);
--> statement-breakpoint
CREATE INDEX `api_keys_created_by_key_idx` ON `api_keys` (`created_by_key_id`);
