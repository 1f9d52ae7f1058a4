-- When the session last proved its user's current second factor (the step-up); null until it does.
ALTER TABLE `sessions` ADD `reproved_at` integer;
