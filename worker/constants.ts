/**
 * Every security number in one place, with its unit in the name and the reason beside it.
 * Change a number here, nowhere else.
 */

// ---- OTP verification
/** HOTP look-ahead: codes up to this many counters ahead of the expected one are accepted (RFC 4226 §7.4 "s"). */
export const HOTP_LOOK_AHEAD_COUNTERS = 10;
/** TOTP window around the remembered drift: ±1 step tolerates a code typed just as it changed. */
export const TOTP_WINDOW_STEPS = 1;
/** Resync accepts two consecutive codes this far from the expected position (hardware tokens drift). */
export const HOTP_RESYNC_WINDOW_COUNTERS = 1000;
/** TOTP resync: ±this many steps (100 steps of 30 s = 50 minutes). */
export const TOTP_RESYNC_WINDOW_STEPS = 100;
/** After this many consecutive failed OTPs (wrong PIN or wrong code) a token locks. */
export const TOKEN_MAX_FAILS = 10;
/** A locked token unlocks by itself after this long (admins can reset at once). */
export const TOKEN_LOCK_DURATION_MS = 15 * 60 * 1000;
export const TOKEN_PIN_DEFAULT_LENGTH = 4;
export const TOKEN_PIN_MIN_LENGTH = 4;
export const TOKEN_PIN_MAX_LENGTH = 8;
/** Generated software-token seeds: 160 bits, the size RFC 4226 recommends for SHA-1. */
export const SOFTWARE_TOKEN_SECRET_BYTES = 20;
/**
 * A token enrolment never activated (a QR code shown, no first OTP; an SMS/email token whose code never came back)
 * is removed by the hourly cron this long after it was made. Seven days let a token an administrator prepared be
 * handed over and scanned after a weekend; past that it is an abandoned enrolment whose seed someone saw.
 */
export const PENDING_ENROLMENT_TTL_MS = 7 * 24 * 60 * 60 * 1000;

// ---- recovery codes (worker/tokens/recovery-codes.ts; their format: worker/tokens/recovery-code-format.ts)
/**
 * Codes in one set: enough for years of lost phones between two sets, few enough to print on one page (the
 * number GitHub, Google and Keycloak hand out). Each code is checked under the set's TOKEN_MAX_FAILS lock.
 */
export const RECOVERY_CODE_COUNT = 10;

// ---- OTP attack bounds (issue 10 §1: resync, OCRA replay, counter range)
/**
 * Resync attempts per token per window. Each attempt also counts on the token's fail counter; this cap bounds the
 * window searches (HOTP_RESYNC_WINDOW_COUNTERS HMACs each) that a caller can buy between two lock periods.
 */
export const RESYNC_ATTEMPTS_PER_TOKEN = 5;
export const RESYNC_WINDOW_MS = 15 * 60 * 1000;
/**
 * An accepted OCRA challenge/response pair is remembered this long (per token), so sending it again answers
 * OTP_REPLAYED. Pure challenge-response suites have no counter or clock: this record is their only replay guard,
 * and it is kept as long as the activity log (90 days).
 */
export const OCRA_USED_PAIR_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;
/**
 * The largest counter a HOTP/OCRA token may be created with. The 8-byte counter is built from a JS number, exact
 * only up to Number.MAX_SAFE_INTEGER (otp/hotp.ts counterBytes); a check looks up to the resync window ahead and
 * stores the counter after the match, and all of that must stay exact.
 */
export const TOKEN_COUNTER_MAX = Number.MAX_SAFE_INTEGER - Math.max(HOTP_RESYNC_WINDOW_COUNTERS, HOTP_LOOK_AHEAD_COUNTERS) - 2;

// ---- passwords and secrets at rest
/** PBKDF2-SHA256 rounds; workerd refuses more than 100,000. */
export const PBKDF2_ITERATIONS = 100_000;
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;
/** Password failures before the account locks (per user, all sign-in paths). */
export const LOGIN_MAX_FAILS = 10;
export const LOGIN_LOCK_DURATION_MS = 15 * 60 * 1000;

// ---- sessions and API
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Sessions idle this long end even before their absolute expiry. */
export const SESSION_IDLE_TIMEOUT_MS = 60 * 60 * 1000;
/** Sessions bump last_seen at most this often, to keep reads cheap. */
export const SESSION_TOUCH_INTERVAL_MS = 5 * 60 * 1000;
/** Over plain-http local development the `__Host-` prefix is dropped (it requires Secure). */
export const SESSION_COOKIE = '__Host-eid_session';
/** Portal sessions are bound to one resource. */
export const PORTAL_SESSION_TTL_MS = 60 * 60 * 1000;

// ---- proof before change (worker/auth/step-up.ts)
/**
 * How long proving the current second factor (the step-up, or signing in with it) lets a session change factors
 * and contact data: long enough to finish one enrolment (scan the QR code, type the first code), short enough that
 * a session left open, or stolen, cannot add a token hours later.
 */
export const STEP_UP_VALID_MS = 5 * 60 * 1000;
/** Largest JSON body accepted by the APIs; imports have their own cap. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;
export const MAX_IMPORT_BODY_BYTES = 2 * 1024 * 1024;
export const MAX_IMPORT_TOKENS = 5000;
export const API_KEY_BYTES = 32;

// ---- passkeys (worker/passkeys/)
/**
 * How long a WebAuthn challenge (registration or assertion) may be answered: minutes, as the ceremony is one
 * touch or PIN away; the browser's own timeout is set to the same.
 */
export const WEBAUTHN_CHALLENGE_TTL_MS = 5 * 60 * 1000;
/** Random bytes of a WebAuthn challenge: at least 16 (WebAuthn Level 3 §13.4.3); 32 as a margin. */
export const WEBAUTHN_CHALLENGE_BYTES = 32;
/**
 * Passwordless passkey sign-ins started per IP per window (SIGNIN_WINDOW_MS). Each start stores a challenge (expiring
 * after WEBAUTHN_CHALLENGE_TTL_MS), so the limit bounds what one address can make the database hold. It is far above
 * /login's 50 attempts because a browser with passkey autofill starts one on every view of /login: behind an
 * office's one NAT address the budget counts page views, and 50 would switch passkeys off for the whole office.
 * A start proves nothing and guesses nothing (the assertion is what counts), so a high budget gives no attacker more.
 */
export const PASSKEY_SIGNIN_STARTS_PER_IP = 600;
/** Passkeys per user: each is a row and an allowCredentials entry in every /login ceremony. */
export const PASSKEYS_PER_USER_MAX = 20;

// ---- API keys (worker/auth/api-keys.ts)
/**
 * A key is `eid_` plus at least this many characters of [A-Za-z0-9_-]: 32 hex digits are 128 bits, the least a
 * guessable bearer secret may carry. Generated keys have 43 (API_KEY_BYTES as base64url); seeded ones are checked.
 */
export const API_KEY_MIN_SECRET_CHARS = 32;
/** Longer presented keys are refused before hashing (bounded work for a junk Authorization header). */
export const API_KEY_MAX_SECRET_CHARS = 196;

// ---- rate limits (fixed windows)
/** Sign-in attempts per IP per window, all logins together. */
export const SIGNIN_ATTEMPTS_PER_IP = 50;
export const SIGNIN_WINDOW_MS = 15 * 60 * 1000;
/** Verify API calls per (login, resource) per window: brute force through an integration is capped too. */
export const VERIFY_ATTEMPTS_PER_USER = 30;
export const VERIFY_WINDOW_MS = 5 * 60 * 1000;
// The verify API's warm path (worker/verify-api/warm-path.ts): the copies an isolate keeps of the records a verify
// reads. Neither number is a security bound: the consuming statement checks the rows still say what the copy says.
/** A copy unused this long is dropped: bounds what an isolate keeps (sealed seeds and the non-extractable HMAC keys opened from them) for users gone quiet. */
export const VERIFY_WARM_COPY_TTL_MS = 10 * 60 * 1000;
/** Copies per isolate, the least recently used dropped first: bounds the isolate's memory (about 1 kB each). */
export const VERIFY_WARM_COPIES_MAX = 5_000;
// The verification state object's outbox (worker/verify-state/object.ts): what it owes D1 (the admin's mirror,
// the verify API's success activity) after it answered. Neither is a security bound: the object decides alone.
/** A flush that failed, or never ran because the object was evicted after answering, is retried by the alarm this late. */
export const VERIFY_OUTBOX_RETRY_MS = 5_000;
/** Rows of each kind per D1 batch of a flush: keeps one batch well inside D1's per-batch limits after an outage. */
export const VERIFY_OUTBOX_FLUSH_ROWS_MAX = 50;
/**
 * An API key's "last used" is kept to this resolution: its write is skipped while the stored time is younger, and a
 * warm verify leaves the statement out of its batch while its isolate sent one that recently (one statement less
 * per success). Not a security bound: revocation and expiry are checked in every request's own statements.
 */
export const API_KEY_LAST_USED_RESOLUTION_MS = 60_000;

// ---- one-time codes by SMS / email
export const CODE_DIGITS = 6;
export const CODE_TTL_MS = 10 * 60 * 1000;
/** Wrong guesses allowed per sent code; then the code is void. */
export const CODE_MAX_ATTEMPTS = 5;
/** A new code to the same recipient no sooner than this (SMS costs money: toll fraud). */
export const CODE_RESEND_COOLDOWN_MS = 60 * 1000;
export const SMS_PER_PHONE_PER_DAY = 10;
export const SMS_PER_USER_PER_DAY = 10;
export const SMS_PER_IP_PER_HOUR = 20;
export const EMAIL_PER_RECIPIENT_PER_HOUR = 10;
export const PASSWORD_RESET_TTL_MS = 30 * 60 * 1000;

// ---- password reset and restore access (worker/auth/password-reset.ts, worker/selfservice/recovery-service.ts)
// Both are anonymous: every limit is keyed by the login AS TYPED and the client IP, so an unknown login is limited
// exactly like a real one (a 429 only for real accounts would tell them apart).
/** Reset requests per login per hour: more than a forgetful user needs, few enough that a flood cannot fill a mailbox. */
export const PASSWORD_RESET_REQUESTS_PER_LOGIN_PER_HOUR = 5;
/** Reset requests per IP per hour, all logins together: one address cannot sweep many accounts. */
export const PASSWORD_RESET_REQUESTS_PER_IP_PER_HOUR = 20;
/**
 * Unused reset links that may be valid at once for one user. A new request adds a link instead of voiding the
 * older ones (else anyone could void the link a victim is about to click); at the cap further requests send
 * nothing until one is used or expires. Each link is a 256-bit token, so a few valid ones are no easier to guess.
 */
export const PASSWORD_RESET_MAX_VALID_LINKS = 3;
/**
 * Restore-access proof checks per login per hour: each proof step (one password, email code or OTP) and each
 * submission that carries proofs claims one.
 * They do not count toward the token's own lock (an attacker could lock the victim's token through restore access),
 * so this claimed counter is their bound: 120 guesses a day at 3 window steps each hit a 6-digit TOTP about once in
 * 2,800 days (the token's own lock admits more), and a hit only files a request that an administrator must approve.
 */
export const RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR = 5;
/** Restore-access proof checks per IP per hour, all logins together. */
export const RESTORE_ACCESS_SUBMITS_PER_IP_PER_HOUR = 20;
/**
 * Proofs one restore-access flow checks before the request is filed (a mistyped code can be typed again): room for
 * two slips before the right code. Claimed on the flow before each proof is looked at, so a burst of guesses gets
 * no more; across flows the per-login cap above is the bound.
 */
export const RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW = 3;

// ---- message limits the administrator may change (Admin Center > Security > Email > Limits)
// The constants above are the defaults; these bound what may be set, so a slip in the admin center cannot switch
// the protection off (or lock real users out for days).
/** Under 10 s a script could still ring a phone every few seconds; over an hour a user who mistyped gives up. */
export const CODE_RESEND_COOLDOWN_MIN_SECONDS = 10;
export const CODE_RESEND_COOLDOWN_MAX_SECONDS = 60 * 60;
/** Per phone number, user or email address: no person needs more messages than this in one window; more is pumping. */
export const MESSAGE_CAP_PER_RECIPIENT_CEILING = 100;
/** Per IP: a large office shares one NAT address, so the ceiling is higher, but a cap is always in force. */
export const MESSAGE_CAP_PER_IP_CEILING = 10_000;
/** Shorter windows turn a cap into a rate that still allows thousands a day; longer ones punish for a week. */
export const MESSAGE_LIMIT_WINDOW_MIN_MINUTES = 10;
export const MESSAGE_LIMIT_WINDOW_MAX_MINUTES = 7 * 24 * 60;

// ---- messaging (SMS / email providers)
/** Emails from one IP per hour, all recipients together: a bot cannot use us to mail-bomb many addresses. */
export const EMAIL_PER_IP_PER_HOUR = 30;
export const HOUR_MS = 60 * 60 * 1000;
/** A provider that has not answered by then is treated as failed, and the fallback supplier is tried. */
export const PROVIDER_TIMEOUT_MS = 10_000;
/** Bounds an admin may set per supplier (too short fails healthy providers, too long holds the sign-in page). */
export const PROVIDER_TIMEOUT_MIN_MS = 500;
export const PROVIDER_TIMEOUT_MAX_MS = 30_000;
/**
 * Characters of a provider's own answer kept in an error (message_log, admin responses): its one-line error
 * message fits; a page of HTML, or whatever a hostile endpoint echoes back, does not.
 */
export const PROVIDER_ERROR_MAX_CHARS = 100;

// ---- retention
export const ACTIVITY_RETENTION_DAYS = 90;
export const DAY_MS = 24 * 60 * 60 * 1000;

// ---- admin audit trail (worker/audit/)
/**
 * Audit rows are kept a year by default: long enough for a yearly access review and the usual "who changed this
 * last spring" question (ISO 27001 and SOC 2 reviews look back twelve months), then the hourly cron purges them.
 * The administrator may set another number of days (Security > Email > Admin activity) within the bounds below.
 */
export const ADMIN_AUDIT_RETENTION_DAYS = 365;
/**
 * The shortest retention that may be set: the hourly purge would otherwise let an administrator erase the record of
 * their own changes within days (the setting's change is itself recorded, and kept at least this long); 90 days
 * still cover a quarterly access review.
 */
export const ADMIN_AUDIT_RETENTION_MIN_DAYS = 90;
/** The longest: ten years cover every common legal retention period; beyond that the table only grows. */
export const ADMIN_AUDIT_RETENTION_MAX_DAYS = 3650;
/** Rows per query while a CSV export streams (keyset paging): one D1 read stays small however long the export. */
export const CSV_EXPORT_CHUNK_ROWS = 500;

// ---- sign-in scripts (worker/scripts; the interpreter's own budgets live in script-engine/)
/** Largest script source the admin API accepts; the engine refuses larger sources too. */
export const SCRIPT_SOURCE_MAX_BYTES = 64 * 1024;
/**
 * Largest test-run answer (UTF-8 JSON). The engine bounds the trace (256 KiB), but the effects can still carry
 * dozens of saved 4,096-character texts, six times larger once escaped; past this the answer is cut and says so.
 */
export const SCRIPT_TEST_RUN_ANSWER_MAX_BYTES = 1024 * 1024;

// ---- SAML service provider (worker/saml)
/** Largest POST /saml/acs body: real responses are a few KB; the cap bounds what we decode and parse. */
export const SAML_MAX_FORM_BODY_BYTES = 256 * 1024;
/** Largest decoded SAMLResponse XML. */
export const SAML_MAX_RESPONSE_XML_BYTES = 160 * 1024;
/** Tolerated clock difference on NotBefore/NotOnOrAfter: IdP and edge clocks differ by seconds, not minutes. */
export const SAML_CLOCK_SKEW_MS = 60 * 1000;
/** An AuthnRequest may be answered this long (the user signs in at the IdP meanwhile); then it is void. */
export const SAML_REQUEST_TTL_MS = 10 * 60 * 1000;
/** The return path carried in RelayState (SAML bindings §3.4.3 suggests 80 bytes; we allow longer paths). */
export const SAML_RELAY_STATE_MAX_CHARS = 512;
/** YAML configuration text and imported IdP metadata XML. */
export const SAML_CONFIG_MAX_BYTES = 64 * 1024;
export const SAML_METADATA_MAX_BYTES = 1024 * 1024;
/** AuthnRequests started and responses posted per IP per window (each writes a row / verifies signatures). */
export const SAML_LOGIN_REQUESTS_PER_IP = 60;
export const SAML_ACS_POSTS_PER_IP = 120;
export const SAML_RATE_WINDOW_MS = 15 * 60 * 1000;
/**
 * Deepest element nesting accepted in SAML responses and IdP metadata. Real responses nest about 10 levels
 * (Response/Assertion/Advice/... or Signature/SignedInfo/Reference/Transforms/Transform); the XML libraries recurse
 * per level, and 8,000 levels overflowed the stack, so deeper documents are refused before parsing.
 */
export const SAML_MAX_XML_DEPTH = 100;
