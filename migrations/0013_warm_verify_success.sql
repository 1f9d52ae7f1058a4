-- The verify API's warm success in ONE statement (worker/verify-api/warm-path.ts). The conditional UPDATE that
-- consumes the code also sets tokens.warm_success to what the success writes beside the consume (JSON: the verify
-- rate-limit hit and the UserLogin row, warmSuccessWrites in warm-path.ts); the trigger below writes both in the
-- same statement and clears the column. So the three rows change together, in SQLite's single writer, exactly when
-- the consume wins: its WHERE decides (code still ahead, rows as the isolate's copy says, key usable, limit not
-- spent), and a refused UPDATE changes no row, so nothing fires. Of N concurrent uses of one code, one UPDATE
-- changes the row: one hit, one UserLogin row.
--
-- Every other write of tokens leaves warm_success out of its SET list, so the trigger ("UPDATE OF warm_success")
-- never fires for it; the column is NULL at rest. The trigger's own UPDATE clears it (recursive triggers are off,
-- and its WHEN is false for NULL).
--
-- The hit repeats rateLimitHitStatement's window rule (worker/lib/repo.ts): a window that ran out starts afresh.
-- Without the cap at limit + 1: the consume only runs while a hit is allowed (warmHitAllowedCondition).
--
-- Triggers are not in drizzle's schema: worker/db/schema.ts names this one beside the column.
ALTER TABLE `tokens` ADD `warm_success` text;--> statement-breakpoint
CREATE TRIGGER `tokens_warm_success` AFTER UPDATE OF `warm_success` ON `tokens`
WHEN NEW.`warm_success` IS NOT NULL
BEGIN
  INSERT INTO `rate_limits` (`key`, `window_start`, `count`, `expires_at`)
    SELECT NEW.`warm_success` ->> '$.limit.key', NEW.`warm_success` ->> '$.limit.now', 1, NEW.`warm_success` ->> '$.limit.expiresAt' WHERE 1
  ON CONFLICT (`key`) DO UPDATE SET
    `window_start` = CASE WHEN `rate_limits`.`expires_at` <= excluded.`window_start` THEN excluded.`window_start` ELSE `rate_limits`.`window_start` END,
    `count` = CASE WHEN `rate_limits`.`expires_at` <= excluded.`window_start` THEN 1 ELSE `rate_limits`.`count` + 1 END,
    `expires_at` = CASE WHEN `rate_limits`.`expires_at` <= excluded.`window_start` THEN excluded.`expires_at` ELSE `rate_limits`.`expires_at` END;
  INSERT INTO `user_activities` (`id`, `user_id`, `login`, `type`, `channel`, `ip`, `client`, `detail`, `at`)
    SELECT NEW.`warm_success` ->> '$.activity.id', NEW.`warm_success` ->> '$.activity.user_id', NEW.`warm_success` ->> '$.activity.login',
      NEW.`warm_success` ->> '$.activity.type', NEW.`warm_success` ->> '$.activity.channel', NEW.`warm_success` ->> '$.activity.ip',
      NEW.`warm_success` ->> '$.activity.client', NEW.`warm_success` ->> '$.activity.detail', NEW.`warm_success` ->> '$.activity.at';
  UPDATE `tokens` SET `warm_success` = NULL WHERE `id` = NEW.`id`;
END;
