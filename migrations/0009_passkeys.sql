-- PASSKEY tokens: the WebAuthn credential of each (tokens holds its name as `description`, its enabled state and
-- `last_used_at`; it has no seed). credential_id and public_key are base64url; the public key is COSE.
-- sign_count is the authenticator's signature counter; suspicious_at is set when an assertion came with a counter
-- that did not go up (a cloned authenticator), and from then on the credential is refused.
CREATE TABLE `passkey_credentials` (
	`token_id` text PRIMARY KEY NOT NULL,
	`credential_id` text NOT NULL,
	`public_key` text NOT NULL,
	`sign_count` integer DEFAULT 0 NOT NULL,
	`transports` text DEFAULT '[]' NOT NULL,
	`aaguid` text NOT NULL,
	`backup_eligible` integer NOT NULL,
	`backed_up` integer NOT NULL,
	`suspicious_at` integer,
	FOREIGN KEY (`token_id`) REFERENCES `tokens`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `passkey_credentials_credential_id_unique` ON `passkey_credentials` (`credential_id`);
--> statement-breakpoint
-- WebAuthn challenges live in `challenges` (purpose webauthn-*, target = what they are bound to); issuing one
-- removes the older ones of its binding, by this index.
CREATE INDEX `challenges_purpose_target_idx` ON `challenges` (`purpose`, `target`);
