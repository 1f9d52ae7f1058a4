-- Identity keys: logins and emails are compared after one normalisation, NFKC + case folding
-- (worker/lib/identity.ts `identityKey`), so "ＡＬＩＣＥ@example.com" and "alice@example.com" are one identity and a
-- new login or email colliding with an existing one under it is refused.
--
-- SQLite has no NFKC. For printable ASCII (0x20-0x7E) the key is exactly lower(): NFKC leaves ASCII unchanged and
-- case folding ASCII is lower-casing. So:
--   * the backfill below keys every ASCII value with lower() and leaves the others NULL;
--   * triggers keep the keys current on every INSERT and every change of login/email, whichever code writes the row
--     (a key left from the old value would match the wrong person): lower() for ASCII, NULL otherwise, unless the
--     writer set the key itself;
--   * the Worker computes the NULL keys (fillMissingIdentityKeys) before every lookup or uniqueness check; the
--     partial index users_identity_key_missing holds exactly those rows, so the check is one indexed read.
-- login_key is UNIQUE: logins were already unique under lower(), so the ASCII backfill cannot collide. email_key
-- is not: emails were never unique, and existing duplicates must stay readable (a SAML sign-in with such an email
-- is refused as ambiguous); new collisions are refused by the Worker where emails are created or changed.
ALTER TABLE `users` ADD `login_key` text;--> statement-breakpoint
ALTER TABLE `users` ADD `email_key` text;--> statement-breakpoint
UPDATE `users` SET `login_key` = lower(`login`) WHERE `login` NOT GLOB '*[^ -~]*';--> statement-breakpoint
UPDATE `users` SET `email_key` = lower(`email`) WHERE `email` IS NOT NULL AND `email` NOT GLOB '*[^ -~]*';--> statement-breakpoint
CREATE UNIQUE INDEX `users_login_key_unique` ON `users` (`login_key`);--> statement-breakpoint
CREATE INDEX `users_email_key_idx` ON `users` (`email_key`);--> statement-breakpoint
CREATE INDEX `users_identity_key_missing` ON `users` (`id`) WHERE `login_key` IS NULL OR (`email` IS NOT NULL AND `email_key` IS NULL);--> statement-breakpoint
CREATE TRIGGER `users_identity_keys_insert` AFTER INSERT ON `users`
WHEN NEW.`login_key` IS NULL OR (NEW.`email` IS NOT NULL AND NEW.`email_key` IS NULL)
BEGIN
  UPDATE `users` SET
    `login_key` = COALESCE(NEW.`login_key`, CASE WHEN NEW.`login` NOT GLOB '*[^ -~]*' THEN lower(NEW.`login`) END),
    `email_key` = COALESCE(NEW.`email_key`, CASE WHEN NEW.`email` NOT GLOB '*[^ -~]*' THEN lower(NEW.`email`) END)
  WHERE `id` = NEW.`id`;
END;--> statement-breakpoint
CREATE TRIGGER `users_identity_keys_update` AFTER UPDATE OF `login`, `email` ON `users`
WHEN (NEW.`login` IS NOT OLD.`login` AND NEW.`login_key` IS OLD.`login_key`) OR (NEW.`email` IS NOT OLD.`email` AND NEW.`email_key` IS OLD.`email_key`)
BEGIN
  UPDATE `users` SET
    `login_key` = CASE WHEN NEW.`login` IS NOT OLD.`login` AND NEW.`login_key` IS OLD.`login_key`
      THEN CASE WHEN NEW.`login` NOT GLOB '*[^ -~]*' THEN lower(NEW.`login`) END ELSE NEW.`login_key` END,
    `email_key` = CASE WHEN NEW.`email` IS NOT OLD.`email` AND NEW.`email_key` IS OLD.`email_key`
      THEN CASE WHEN NEW.`email` NOT GLOB '*[^ -~]*' THEN lower(NEW.`email`) END ELSE NEW.`email_key` END
  WHERE `id` = NEW.`id`;
END;
