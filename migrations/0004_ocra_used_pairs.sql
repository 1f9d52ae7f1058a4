-- OCRA challenge/response pairs already accepted, per token: the same pair sent again answers OTP_REPLAYED.
-- pair_hash is SHA-256 over the suite's 128-byte challenge field and the response (challenges that differ only in
-- spelling, e.g. leading zeros, give the same field and so the same hash).
CREATE TABLE `ocra_used_pairs` (
	`token_id` text NOT NULL,
	`pair_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`token_id`, `pair_hash`),
	FOREIGN KEY (`token_id`) REFERENCES `tokens`(`id`) ON UPDATE no action ON DELETE cascade
);
