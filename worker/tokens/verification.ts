/**
 * OTP verification against a stored token: PIN, windows, drift, replay protection, fail counter and lockout.
 * Where a code matches is otp/verify.ts's pure math; every statement that reads or changes the token's state is in
 * tokens/repo.ts; this module puts them in the order below and shapes the answer.
 *
 * The order matters for security:
 * 1. refuse disabled, pending or locked tokens before looking at the code (a lock is not an oracle);
 * 2. check the PIN and the code without writing anything;
 * 3. consume the matched counter/step (OCRA: the challenge/response pair) with ONE conditional statement whose
 *    change count decides: of two concurrent requests carrying the same valid code, exactly one changes the row;
 *    that statement is also conditional on the lock, so no code gets through once concurrent failures locked it;
 * 4. every failure (wrong PIN, wrong code) increments the fail counter atomically; reaching the maximum locks the
 *    token until a time after which it unlocks by itself. The one exception is the code the token accepted last,
 *    sent again (a RADIUS retransmission, a double submit): OTP_REPLAYED, not counted (see LastAccepted).
 *
 * Resync claims its attempt before it searches (claimResyncAttempt): rate limited, counted, refused while locked.
 * A RECOVERY_CODES set takes step 1 here and then its own check (tokens/recovery-codes.ts): the attempt claimed
 * on the same fail counter before the code is looked at, the code consumed by one conditional UPDATE.
 */
import type { ActivityInput } from '../activities/repo';
import { auditOutcomeStatement, type AuditActor, type AuditChange } from '../audit/record';
import type { TokenType } from '../db/schema';
import { importHmacKey } from '../otp/hotp';
import {
  findHotpPair,
  findMatch,
  findOcraMatch,
  findTotpPair,
  prepareOcra,
  splitPinAndOtp,
  type ConsumableMatch,
  type Found,
  type LastAccepted,
  type Match,
  type OcraCheck,
  type ResyncAnchor,
} from '../otp/verify';
import { verifyRecoveryCode, type ActivityVia, type RecoveryCodeUse } from './recovery-codes';
import {
  applyResyncAnchor,
  claimResyncAttemptRows,
  consumeTokenMatch,
  countTokenFailure,
  tokenShowsLastAccepted,
  type TokenRecord,
} from './repo';
import { checkPin, openSeed, upgradeLegacyPinHash } from './secrets';

// What the callers of the checks and the stores of the hot state (verify-state/object.ts) name, from where it is said.
export { TOKEN_RECORD_COLUMNS, type TokenRecord } from './repo';
export type { ConsumableMatch, LastAccepted, ResyncAnchor } from '../otp/verify';

export type VerifyFailureReason = 'OTP_INVALID' | 'OTP_REPLAYED' | 'TOKEN_LOCKED' | 'TOKEN_DISABLED' | 'TOKEN_PENDING' | 'TOKEN_TYPE_MISMATCH';

export type VerifyResult =
  | { ok: true; tokenId: string; serial: string; matched: { counter: number } | { step: number; driftSteps: number } | { challenge: true } | { recoveryCode: true; remaining: number } }
  | { ok: false; tokenId: string; reason: VerifyFailureReason; lockedUntil?: number | null; failCount?: number };

export interface VerifyKeys {
  seedKey: string;
  /** SESSION_KEY: the root of the PIN key and of the recovery code key (lib/keys.ts). */
  pinKey: string;
  /**
   * Tells the owner of a recovery code set that one of its codes was just accepted (tokens/service.ts verifyKeysOf
   * wires the email). Without it no one is told: only for tests of the bare check.
   */
  onRecoveryCodeUsed?: (use: RecoveryCodeUse) => Promise<void>;
  /**
   * Set when the hot state of TOTP/HOTP/OCRA tokens lives in the user's Durable Object (VERIFY_STATE =
   * "durable-object", worker/verify-state): every check and resync of such a token then goes there, whichever
   * path it comes from, so a code used at one door is used at all of them. Unset: D1 holds it (d1TokenState).
   */
  hotState?: HotStateAccess;
}

/**
 * The admin's audit row of a token action that goes through the check (Check OTP, resync), written with the change
 * it records: in the D1 batch of the consume, the counted failure, the claimed resync attempt or the re-anchoring,
 * or in the same object transaction (its outbox, verify-state/object.ts). `id` is chosen once per action: the
 * resync's re-anchoring rewrites the outcome its claimed attempt wrote, so the action has one row.
 */
export interface OutcomeAudit {
  id: string;
  actor: AuditActor;
  change: Omit<AuditChange, 'after'>;
}

/** One step's audit row: the action's row with the outcome this step makes true. */
export type AuditedStep = OutcomeAudit & { after: unknown };

export const auditedStep = (audit: OutcomeAudit | undefined, after: unknown): AuditedStep | undefined => (audit ? { ...audit, after } : undefined);

/** The D1 statement of `step` for the batch of its change, right after the change's statement. */
export function auditedStepStatement(db: D1Database, step: AuditedStep | undefined): D1PreparedStatement | undefined {
  return step && auditOutcomeStatement(db, step.id, step.actor, { ...step.change, after: step.after }, true);
}

/** The row of an action that changed nothing to write it with (a refusal that counted no failure), on its own. */
export async function recordUnchangedOutcome(db: D1Database, audit: OutcomeAudit, after: unknown): Promise<void> {
  await auditOutcomeStatement(db, audit.id, audit.actor, { ...audit.change, after }, false).run();
}

/** What the audit trail says of a Check OTP, and of a resync (the claimed attempt counts as refused until it applies). */
export const CHECK_OTP_ACCEPTED = { valid: true };
export const checkOtpRefused = (reason: VerifyFailureReason) => ({ valid: false, reason });
export const RESYNC_APPLIED = { resynced: true };
export const resyncRefused = (reason: Extract<ResyncResult, { ok: false }>['reason']) => ({ resynced: false, reason });

/** The token types whose counters, used steps, fail counts and locks a Durable Object can own. */
export const HOT_STATE_TOKEN_TYPES: readonly TokenType[] = ['TOTP', 'HOTP', 'OCRA'];

/** The verification of such a token in the store that owns its hot state (worker/verify-state/client.ts). */
export interface HotStateAccess {
  verify(token: TokenRecord, input: string, nowMs: number, options: VerifyOptions): Promise<VerifyResult>;
  /** A failure counted on its own (the verify API counts several tokens' failures after checking them all). */
  recordFailure(token: TokenRecord, nowMs: number, reason: VerifyFailureReason): Promise<VerifyResult>;
  resync(token: TokenRecord, firstOtp: string, secondOtp: string, nowMs: number, audit?: OutcomeAudit): Promise<ResyncResult>;
}

/**
 * The hot state of one TOTP/HOTP/OCRA token (counter or used step, fail count, lock, used OCRA pairs), where it
 * lives: D1's token row (d1TokenState) or the user's Durable Object (worker/verify-state/object.ts). Each method is
 * ONE atomic step there, conditional on the state it changes, so of concurrent requests exactly one wins a code.
 */
export interface TokenStateStore {
  /** The system of record, for the legacy PIN hash upgrade after a success. */
  readonly db: D1Database;
  // `audited`: the admin's audit row, written in the same atomic step exactly when the step changes the state.
  consume(token: TokenRecord, match: ConsumableMatch, nowMs: number, ocraPairHash: string | null, audited?: AuditedStep): Promise<boolean>;
  recordFailure(token: TokenRecord, nowMs: number, reason: VerifyFailureReason, lastAccepted?: LastAccepted, audited?: AuditedStep): Promise<VerifyResult>;
  isLastAccepted(token: TokenRecord, lastAccepted: LastAccepted, nowMs: number): Promise<boolean>;
  claimResyncAttempt(token: TokenRecord, nowMs: number, audited?: AuditedStep): Promise<ResyncClaim>;
  /** Re-anchors at `anchor` if still ahead and not locked but by `lockedByClaim`; resets the fail count. */
  applyResync(token: TokenRecord, anchor: ResyncAnchor, lockedByClaim: number | null, nowMs: number, audited?: AuditedStep): Promise<boolean>;
}

/** D1 as the store: the token row's columns, each step one conditional statement (or batch). */
export function d1TokenState(db: D1Database, alsoIfConsumed?: D1PreparedStatement): TokenStateStore {
  return {
    db,
    consume: (token, match, nowMs, ocraPairHash, audited) => {
      // One follower per consume: the verify API's activity, or (the admin's Check OTP) the audit row.
      if (audited && alsoIfConsumed) throw new Error('A consume carries either an activity or an audit row');
      return consumeTokenMatch(db, token.id, match, nowMs, ocraPairHash, auditedStepStatement(db, audited) ?? alsoIfConsumed);
    },
    recordFailure: (token, nowMs, reason, lastAccepted, audited) => recordFailure(db, token, nowMs, reason, lastAccepted, audited),
    isLastAccepted: (token, lastAccepted, nowMs) => tokenShowsLastAccepted(db, token.id, lastAccepted, nowMs),
    claimResyncAttempt: (token, nowMs, audited) => claimResyncAttempt(db, token, nowMs, audited),
    applyResync: (token, anchor, lockedByClaim, nowMs, audited) => applyResyncAnchor(db, token.id, anchor, lockedByClaim, nowMs, auditedStepStatement(db, audited)),
  };
}

/** A failure counted where the token's hot state lives (the Durable Object for TOTP/HOTP/OCRA when it owns them). */
export function recordTokenFailure(db: D1Database, keys: VerifyKeys, token: TokenRecord, nowMs: number, reason: VerifyFailureReason): Promise<VerifyResult> {
  return keys.hotState && HOT_STATE_TOKEN_TYPES.includes(token.type) ? keys.hotState.recordFailure(token, nowMs, reason) : recordFailure(db, token, nowMs, reason);
}

export interface VerifyOptions {
  /** Admin "Check OTP" and enrolment confirm a pending software token with its first correct code. */
  allowActivation?: boolean;
  /** OCRA: the challenge the user answered. */
  challenge?: string;
  /**
   * A statement (the verify API's success activity) to run in the same D1 batch as the consume UPDATE, right
   * after it, so recording the success costs no round trip of its own. It must take effect only under
   * `CONSUMED_BY_PREVIOUS_STATEMENT`: then it is written exactly when this verification succeeds, also when a
   * concurrent request won the race for the code.
   */
  alsoIfConsumed?: D1PreparedStatement;
  /** The same activity as data: the verification state object keeps it in its outbox with the consume (verify-state/object.ts). */
  activityIfConsumed?: ActivityInput;
  /**
   * The admin's Check OTP: its audit row, written with the consume or the counted failure (CHECK_OTP_ACCEPTED /
   * checkOtpRefused). A refusal that changes nothing (by the token's state, a replay) writes none here: the caller
   * records that one on its own (the result then has no failCount).
   */
  audit?: OutcomeAudit;
  /**
   * false: a wrong PIN, wrong code or replay is answered but not added to the token's fail counter. Safe ONLY
   * behind a counter the caller claimed before this call, which then bounds the guesses instead: without one this
   * is an unlimited OTP oracle. Restore access uses it (RESTORE_ACCESS_SUBMITS_PER_* in constants.ts), so anonymous
   * requests cannot lock the victim's token.
   */
  countFailure?: boolean;
  /**
   * The door the check came through (login, portal, api) with the client's IP and user agent, for the activity a
   * used recovery code writes (RecoveryCodeUsed). Without it that activity says 'login'.
   */
  via?: ActivityVia;
}

/**
 * Verifies `input` (OTP with the PIN before or after it, as the token says) against `token` and, on success,
 * consumes the code. `nowMs` is the clock.
 */
export async function verifyTokenOtp(
  db: D1Database,
  keys: VerifyKeys,
  token: TokenRecord,
  input: string,
  nowMs: number,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  if (keys.hotState && HOT_STATE_TOKEN_TYPES.includes(token.type)) return keys.hotState.verify(token, input, nowMs, options);
  if (token.type === 'RECOVERY_CODES') {
    return refusalByState(token, nowMs, options.allowActivation) ?? verifyRecoveryCode(db, keys, token, input, nowMs, options);
  }
  return verifyOtpIn(d1TokenState(db, options.alsoIfConsumed), keys, token, input, nowMs, options);
}

/**
 * The check of a TOTP/HOTP/OCRA code against `token` as `store` holds its hot state: refusal by state, PIN and
 * code without writing, then the store's one conditional consume, or its counted failure.
 */
export async function verifyOtpIn(
  store: TokenStateStore,
  keys: VerifyKeys,
  token: TokenRecord,
  input: string,
  nowMs: number,
  options: Omit<VerifyOptions, 'alsoIfConsumed'> = {},
): Promise<VerifyResult> {
  const refusal = refusalByState(token, nowMs, options.allowActivation);
  if (refusal) return refusal;
  if (!token.secret_encrypted || !['TOTP', 'HOTP', 'OCRA'].includes(token.type)) {
    return { ok: false, tokenId: token.id, reason: 'TOKEN_TYPE_MISMATCH' };
  }

  const fail = async (reason: VerifyFailureReason, lastAccepted?: LastAccepted): Promise<VerifyResult> => {
    if (options.countFailure !== false) return store.recordFailure(token, nowMs, reason, lastAccepted, auditedStep(options.audit, checkOtpRefused(reason)));
    const replayed = lastAccepted !== undefined && (await store.isLastAccepted(token, lastAccepted, nowMs));
    return { ok: false, tokenId: token.id, reason: replayed ? 'OTP_REPLAYED' : reason };
  };
  // A malformed OCRA challenge is refused before the PIN is looked at: an error that only a right PIN reached
  // would tell the PIN without counting it.
  const ocra = token.type === 'OCRA' ? prepareOcra(token, options.challenge) : null;
  const found = await matchInput(keys, token, token.secret_encrypted, input, nowMs, ocra);
  if (!found) return fail('OTP_INVALID');
  const { match, lastAccepted } = found;
  if (match.kind === 'none') return fail('OTP_INVALID', lastAccepted);

  const pairHash = lastAccepted && 'ocraPairHash' in lastAccepted ? lastAccepted.ocraPairHash : null;
  const consumed = await store.consume(token, match, nowMs, pairHash, auditedStep(options.audit, CHECK_OTP_ACCEPTED));
  // Lost the race for this code (a concurrent copy of the request won: a replay), or locked meanwhile (counted).
  if (!consumed) return fail('OTP_INVALID', lastAccepted);
  await upgradeLegacyPinHash(store.db, keys.pinKey, token.id, found.pin, token.pin_hash);
  return { ok: true, tokenId: token.id, serial: token.serial, matched: describeMatch(match) };
}

/** The PIN check and the search for the code, writing nothing: null when the input's shape or its PIN is wrong. */
async function matchInput(
  keys: VerifyKeys,
  token: TokenRecord,
  secretEncrypted: string,
  input: string,
  nowMs: number,
  ocra: OcraCheck | null,
  hmacKey?: Promise<CryptoKey>,
): Promise<(Found & { pin: string }) | null> {
  const otpDigits = ocra ? ocra.suite.digits : token.digits;
  const split = splitPinAndOtp(input.trim(), otpDigits, token.pin_hash !== null, token.pin_position);
  const pinOk =
    split !== null && (token.pin_hash === null || (await checkPin(keys.pinKey, token.id, split.pin, token.pin_hash)));
  if (!split || !pinOk) return null;
  const found = ocra
    ? await findOcraMatch(token, ocra, await openSeed(keys.seedKey, token.id, secretEncrypted), split.otp, nowMs)
    : await findMatch(token, await (hmacKey ?? hmacKeyOf(keys, token, secretEncrypted)), split.otp, nowMs);
  return { ...found, pin: split.pin };
}

/**
 * A TOTP/HOTP token's HMAC key: its seed opened (AES-GCM) and imported, two WebCrypto calls that a caller holding
 * the token record for many checks (the verify API's warm copy) can make once. Non-extractable: what is cached is
 * the ability to compute codes, never the seed's bytes.
 */
export async function hmacKeyOf(keys: Pick<VerifyKeys, 'seedKey'>, token: Pick<TokenRecord, 'id' | 'algorithm'>, secretEncrypted: string): Promise<CryptoKey> {
  return importHmacKey(await openSeed(keys.seedKey, token.id, secretEncrypted), token.algorithm);
}

/** A counter or time step a TOTP/HOTP code matched, not yet consumed. */
export interface OtpMatch {
  match: Extract<Match, { kind: 'counter' | 'step' }>;
  matched: Extract<VerifyResult, { ok: true }>['matched'];
  /** The PIN part of the input (for upgradeLegacyPinHash after the consume). */
  pin: string;
}

/**
 * For the verify API's warm path, which consumes in a batch of its own (worker/verify-api/warm-path.ts): the
 * match of `input` against a usable TOTP/HOTP `token`, found without writing anything; null for no match, and
 * for any other type or state (those take verifyTokenOtp, which also counts the failure). Consume the match with
 * `consumeCounterOrStepStatement` (tokens/repo.ts), and only that statement's change count says it was accepted.
 */
export async function findOtpMatch(keys: VerifyKeys, token: TokenRecord, input: string, nowMs: number, hmacKey?: Promise<CryptoKey>): Promise<OtpMatch | null> {
  if (refusalByState(token, nowMs) || !token.secret_encrypted || (token.type !== 'TOTP' && token.type !== 'HOTP')) return null;
  const found = await matchInput(keys, token, token.secret_encrypted, input, nowMs, null, hmacKey);
  if (!found || (found.match.kind !== 'counter' && found.match.kind !== 'step')) return null;
  return { match: found.match, matched: describeMatch(found.match), pin: found.pin };
}

/**
 * Disabled, pending (unless this check may activate it) or locked: answered from the token's state alone, before
 * any PIN or code is looked at. Every kind of token check starts here.
 */
export function refusalByState(token: TokenRecord, nowMs: number, allowActivation = false): Extract<VerifyResult, { ok: false }> | null {
  if (!token.enabled) return { ok: false, tokenId: token.id, reason: 'TOKEN_DISABLED' };
  if (!token.activated && !allowActivation) return { ok: false, tokenId: token.id, reason: 'TOKEN_PENDING' };
  if (token.locked_until !== null && token.locked_until > nowMs) {
    return { ok: false, tokenId: token.id, reason: 'TOKEN_LOCKED', lockedUntil: token.locked_until };
  }
  return null;
}


function describeMatch(match: Match): Extract<VerifyResult, { ok: true }>['matched'] {
  if (match.kind === 'counter') return { counter: match.counter };
  if (match.kind === 'step') return { step: match.step, driftSteps: match.driftSteps };
  return { challenge: true };
}



/**
 * A failure counted on D1's row (tokens/repo.ts countTokenFailure): the attempt that reaches the limit is told it
 * locked the token; a code the row shows as the one accepted last is OTP_REPLAYED, not counted.
 */
export async function recordFailure(
  db: D1Database,
  token: TokenRecord,
  nowMs: number,
  reason: VerifyFailureReason,
  lastAccepted?: LastAccepted,
  audited?: AuditedStep,
): Promise<VerifyResult> {
  const row = await countTokenFailure(db, token.id, nowMs, lastAccepted, auditedStepStatement(db, audited));
  if (!row && lastAccepted) return { ok: false, tokenId: token.id, reason: 'OTP_REPLAYED' };
  const lockedNow = row?.locked_until != null && row.locked_until > nowMs;
  return {
    ok: false,
    tokenId: token.id,
    reason: lockedNow ? 'TOKEN_LOCKED' : reason,
    lockedUntil: row?.locked_until ?? null,
    failCount: row?.fail_count,
  };
}

export type ResyncResult =
  | { ok: true }
  | {
      ok: false;
      reason: 'OTP_INVALID' | 'TOKEN_TYPE_MISMATCH' | 'TOKEN_DISABLED' | 'TOKEN_LOCKED' | 'RATE_LIMITED';
      lockedUntil?: number | null;
      retryAfterMs?: number;
      /** The attempt was claimed (counted on the fail counter), so its audit row was written with that claim. */
      claimed?: true;
    };

/**
 * Resynchronisation: two consecutive codes found next to each other anywhere in a large window re-anchor the
 * counter (HOTP) or the drift (TOTP). Two consecutive codes at random have a chance of about window/10^12.
 * Each attempt is claimed first (claimResyncAttempt); a success clears the fail counter but never a lock that
 * was there before it: a locked token answers TOKEN_LOCKED until the admin reset or the timed unlock.
 */
export async function resyncToken(
  db: D1Database,
  keys: VerifyKeys,
  token: TokenRecord,
  firstOtp: string,
  secondOtp: string,
  nowMs: number,
  audit?: OutcomeAudit,
): Promise<ResyncResult> {
  if (keys.hotState && HOT_STATE_TOKEN_TYPES.includes(token.type)) return keys.hotState.resync(token, firstOtp, secondOtp, nowMs, audit);
  return resyncIn(d1TokenState(db), keys, token, firstOtp, secondOtp, nowMs, audit);
}

/** resyncToken against `store`, the owner of the token's hot state. */
export async function resyncIn(
  store: TokenStateStore,
  keys: VerifyKeys,
  token: TokenRecord,
  firstOtp: string,
  secondOtp: string,
  nowMs: number,
  audit?: OutcomeAudit,
): Promise<ResyncResult> {
  if (!token.enabled) return { ok: false, reason: 'TOKEN_DISABLED' };
  if (!token.secret_encrypted || (token.type !== 'HOTP' && token.type !== 'TOTP')) return { ok: false, reason: 'TOKEN_TYPE_MISMATCH' };
  // The claimed attempt is a failure counted until its codes are found: its audit row says refused, and the
  // re-anchoring rewrites that row's outcome in its own step.
  const claim = await store.claimResyncAttempt(token, nowMs, auditedStep(audit, resyncRefused('OTP_INVALID')));
  if (!claim.ok) return claim;
  const key = await importHmacKey(await openSeed(keys.seedKey, token.id, token.secret_encrypted), token.algorithm);
  const anchor = token.type === 'HOTP' ? await findHotpPair(key, token, firstOtp, secondOtp) : await findTotpPair(key, token, firstOtp, secondOtp, nowMs);
  if (anchor && (await store.applyResync(token, anchor, claim.lockedUntil, nowMs, auditedStep(audit, RESYNC_APPLIED)))) return { ok: true };
  return claim.lockedUntil !== null ? { ok: false, reason: 'TOKEN_LOCKED', lockedUntil: claim.lockedUntil, claimed: true } : { ok: false, reason: 'OTP_INVALID', claimed: true };
}

/**
 * Claims one resync attempt before any code is computed, in one batch: a hit on the per-token rate limit, and a
 * failure counted on the token only while that hit is allowed and the token is not locked. The attempt that
 * reaches TOKEN_MAX_FAILS locks the token at once (no attempt can be claimed after it); its own success lifts
 * that lock again. Returns the lock this attempt set, if it did.
 */
async function claimResyncAttempt(db: D1Database, token: TokenRecord, nowMs: number, audited?: AuditedStep): Promise<ResyncClaim> {
  const { limit, claimed } = await claimResyncAttemptRows(db, token.id, nowMs, auditedStepStatement(db, audited));
  if (!limit.allowed) return { ok: false, reason: 'RATE_LIMITED', retryAfterMs: limit.retryAfterMs };
  if (!claimed) return { ok: false, reason: 'TOKEN_LOCKED', lockedUntil: token.locked_until !== null && token.locked_until > nowMs ? token.locked_until : null };
  return { ok: true, lockedUntil: claimed.locked_until };
}

/** A resync attempt claimed (with the lock it set, if it reached the limit), or why none could be. */
export type ResyncClaim = { ok: true; lockedUntil: number | null } | Extract<ResyncResult, { ok: false }>;
