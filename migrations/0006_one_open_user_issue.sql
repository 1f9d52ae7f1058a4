-- One open restore-access request per user: a new request replaces the open one (worker/selfservice/recovery-service.ts),
-- so a flood of anonymous requests leaves one, not dozens an administrator could approve by mistake.
-- Older duplicates are dropped first, keeping each user's newest open request.
DELETE FROM `user_issues` WHERE `state` = 'open' AND EXISTS (
	SELECT 1 FROM `user_issues` AS `newer`
	WHERE `newer`.`user_id` = `user_issues`.`user_id` AND `newer`.`state` = 'open'
		AND (`newer`.`created_at` > `user_issues`.`created_at` OR (`newer`.`created_at` = `user_issues`.`created_at` AND `newer`.`id` > `user_issues`.`id`))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `user_issues_one_open_per_user` ON `user_issues` (`user_id`) WHERE `state` = 'open';
