/**
 * OTP verification against a stored token: PIN, windows, drift, replay protection, fail counter and lockout.
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
import {
  HOTP_LOOK_AHEAD_COUNTERS,
  HOTP_RESYNC_WINDOW_COUNTERS,
  OCRA_USED_PAIR_RETENTION_MS,
  RESYNC_ATTEMPTS_PER_TOKEN,
  RESYNC_WINDOW_MS,
  TOKEN_LOCK_DURATION_MS,
  TOKEN_MAX_FAILS,
  TOTP_RESYNC_WINDOW_STEPS,
  TOTP_WINDOW_STEPS,
} from '../constants';
import type { ActivityInput } from '../activities/record';
import type { HashAlgorithm, TokenType } from '../db/schema';
import { AppError } from '../errors';
import { sha256Hex, timingSafeEqual } from '../lib/crypto';
import { bytesToHex, type Bytes } from '../lib/encoding';
import { consumeRateLimitStatement, rateLimitResultFromRow } from '../lib/rate-limit';
import { verifyRecoveryCode, type ActivityVia, type RecoveryCodeUse } from './recovery-codes';
import { checkPin, openSeed, upgradeLegacyPinHash } from './secrets';
import { generateHotp, importHmacKey, MAX_HOTP_COUNTER } from '../otp/hotp';
import { generateOcra, ocraChallengeField, parseOcraSuite, type OcraSuite } from '../otp/ocra';
import { generateTotp, timeStep } from '../otp/totp';

/** The columns verification needs (snake_case: straight from D1). */
export interface TokenRecord {
  id: string;
  serial: string;
  type: TokenType;
  algorithm: HashAlgorithm;
  digits: number;
  period_seconds: number;
  counter: number;
  ocra_suite: string | null;
  secret_encrypted: string | null;
  pin_hash: string | null;
  pin_position: 'before' | 'after';
  fail_count: number;
  locked_until: number | null;
  last_used_step: number;
  drift_steps: number;
  enabled: number;
  activated: number;
  owner_user_id: string | null;
  /** SMS and EMAIL tokens: where their codes go (tokens/message-tokens.ts verifies those). */
  destination: string | null;
}

export const TOKEN_RECORD_COLUMNS =
  'id, serial, type, algorithm, digits, period_seconds, counter, ocra_suite, secret_encrypted, pin_hash, pin_position, fail_count, locked_until, last_used_step, drift_steps, enabled, activated, owner_user_id, destination';

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

/** The token types whose counters, used steps, fail counts and locks a Durable Object can own. */
export const HOT_STATE_TOKEN_TYPES: readonly TokenType[] = ['TOTP', 'HOTP', 'OCRA'];

/** The verification of such a token in the store that owns its hot state (worker/verify-state/client.ts). */
export interface HotStateAccess {
  verify(token: TokenRecord, input: string, nowMs: number, options: VerifyOptions): Promise<VerifyResult>;
  /** A failure counted on its own (the verify API counts several tokens' failures after checking them all). */
  recordFailure(token: TokenRecord, nowMs: number, reason: VerifyFailureReason): Promise<VerifyResult>;
  resync(token: TokenRecord, firstOtp: string, secondOtp: string, nowMs: number): Promise<ResyncResult>;
}

/**
 * The hot state of one TOTP/HOTP/OCRA token (counter or used step, fail count, lock, used OCRA pairs), where it
 * lives: D1's token row (d1TokenState) or the user's Durable Object (worker/verify-state/object.ts). Each method is
 * ONE atomic step there, conditional on the state it changes, so of concurrent requests exactly one wins a code.
 */
export interface TokenStateStore {
  /** The system of record, for the legacy PIN hash upgrade after a success. */
  readonly db: D1Database;
  consume(token: TokenRecord, match: ConsumableMatch, nowMs: number, ocraPairHash: string | null): Promise<boolean>;
  recordFailure(token: TokenRecord, nowMs: number, reason: VerifyFailureReason, lastAccepted?: LastAccepted): Promise<VerifyResult>;
  isLastAccepted(token: TokenRecord, lastAccepted: LastAccepted, nowMs: number): Promise<boolean>;
  claimResyncAttempt(token: TokenRecord, nowMs: number): Promise<ResyncClaim>;
  /** Re-anchors at `anchor` if still ahead and not locked but by `lockedByClaim`; resets the fail count. */
  applyResync(token: TokenRecord, anchor: ResyncAnchor, lockedByClaim: number | null, nowMs: number): Promise<boolean>;
}

/** D1 as the store: the token row's columns, each step one conditional statement (or batch). */
export function d1TokenState(db: D1Database, alsoIfConsumed?: D1PreparedStatement): TokenStateStore {
  return {
    db,
    consume: (token, match, nowMs, ocraPairHash) => consumeMatch(db, token, match, nowMs, ocraPairHash, alsoIfConsumed),
    recordFailure: (token, nowMs, reason, lastAccepted) => recordFailure(db, token, nowMs, reason, lastAccepted),
    isLastAccepted: (token, lastAccepted, nowMs) => isLastAccepted(db, token, lastAccepted, nowMs),
    claimResyncAttempt: (token, nowMs) => claimResyncAttempt(db, token, nowMs),
    applyResync: async (token, anchor, lockedByClaim, nowMs) => {
      const [set, values, unused] =
        anchor.kind === 'counter'
          ? ['counter = ?', [anchor.counterAfter], 'counter <= ?']
          : ['last_used_step = ?, drift_steps = ?', [anchor.lastUsedStep, anchor.driftSteps], 'last_used_step < ?'];
      // Conditional on the counter/step not having moved past the pair and on no lock but the one this very
      // attempt set by reaching the limit: a lock from other failures stays.
      const result = await db
        .prepare(
          `UPDATE tokens SET ${set}, fail_count = 0, locked_until = NULL, activated = 1
           WHERE id = ? AND ${unused} AND enabled = 1 AND (locked_until IS NULL OR locked_until <= ? OR locked_until = ?)`,
        )
        .bind(...values, token.id, anchor.unusedFrom, nowMs, lockedByClaim ?? -1)
        .run();
      return result.meta.changes === 1;
    },
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
 * SQL condition for the statement right after the consume UPDATE in its batch: true exactly when that UPDATE
 * changed the token row. SQLite's changes() counts the rows of the most recent completed INSERT/UPDATE/DELETE on
 * the connection, and a D1 batch runs its statements in order, in one transaction, on one connection.
 */
export const CONSUMED_BY_PREVIOUS_STATEMENT = 'changes() = 1';

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
    if (options.countFailure !== false) return store.recordFailure(token, nowMs, reason, lastAccepted);
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
  const consumed = await store.consume(token, match, nowMs, pairHash);
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
 * `consumeOtpMatchStatement`, and only that statement's change count says it was accepted.
 */
export async function findOtpMatch(keys: VerifyKeys, token: TokenRecord, input: string, nowMs: number, hmacKey?: Promise<CryptoKey>): Promise<OtpMatch | null> {
  if (refusalByState(token, nowMs) || !token.secret_encrypted || (token.type !== 'TOTP' && token.type !== 'HOTP')) return null;
  const found = await matchInput(keys, token, token.secret_encrypted, input, nowMs, null, hmacKey);
  if (!found || (found.match.kind !== 'counter' && found.match.kind !== 'step')) return null;
  return { match: found.match, matched: describeMatch(found.match), pin: found.pin };
}

/**
 * The conditional UPDATE that consumes an `OtpMatch`, as verifyTokenOtp's consume does, with the caller's further
 * condition `onlyIf` on the row (its `?` placeholders bound to `values`, in order, after the statement's own).
 */
export function consumeOtpMatchStatement(db: D1Database, tokenId: string, otpMatch: OtpMatch, nowMs: number, onlyIf: { sql: string; values: unknown[] }): D1PreparedStatement {
  return consumeCounterOrStepStatement(db, tokenId, otpMatch.match, nowMs, onlyIf);
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

type Match =
  | { kind: 'counter'; counter: number }
  | { kind: 'step'; step: number; driftSteps: number }
  | { kind: 'challenge' }
  | { kind: 'none' };

/** A code that matched and is yet to be consumed: a counter, a time step, or (pure OCRA) a challenge pair. */
export type ConsumableMatch = Exclude<Match, { kind: 'none' }>;

/**
 * What the token row shows when a code is the one it accepted last: the HOTP/OCRA counter right after it, the
 * TOTP step itself, or the OCRA pair on record (ocra_used_pairs). Sending exactly that code again is a replay,
 * answered OTP_REPLAYED and not counted, so a RADIUS client's retransmission cannot lock its user. Every other
 * failure counts: the exemption buys a guesser nothing, as it needs the very code accepted last, which opens
 * nothing any more. Older used codes are plain OTP_INVALID.
 */
export type LastAccepted = { counterAfter: number } | { step: number } | { ocraPairHash: string };

interface Found {
  match: Match;
  /** Set when the code equals one the token may have accepted last; the row decides (lastAcceptedCondition). */
  lastAccepted?: LastAccepted;
}

function describeMatch(match: Match): Extract<VerifyResult, { ok: true }>['matched'] {
  if (match.kind === 'counter') return { counter: match.counter };
  if (match.kind === 'step') return { step: match.step, driftSteps: match.driftSteps };
  return { challenge: true };
}

/** "1234561111" with a 4-digit PIN after a 6-digit OTP -> otp 123456, pin 1111. */
export function splitPinAndOtp(
  input: string,
  otpDigits: number,
  hasPin: boolean,
  pinPosition: 'before' | 'after',
): { otp: string; pin: string } | null {
  if (!/^\d+$/.test(input) && otpDigits > 0) return null;
  if (!hasPin) return input.length === otpDigits ? { otp: input, pin: '' } : null;
  const pinLength = input.length - otpDigits;
  if (pinLength < 1 || pinLength > 16) return null;
  return pinPosition === 'after'
    ? { otp: input.slice(0, otpDigits), pin: input.slice(otpDigits) }
    : { otp: input.slice(pinLength), pin: input.slice(0, pinLength) };
}

/** The last counter a check may match: the consume stores the one after it, which must stay exact. */
const LAST_MATCHABLE_COUNTER = MAX_HOTP_COUNTER - 1;

async function findMatch(token: TokenRecord, key: CryptoKey, otp: string, nowMs: number): Promise<Found> {
  if (token.type === 'HOTP') {
    const last = Math.min(token.counter + HOTP_LOOK_AHEAD_COUNTERS, LAST_MATCHABLE_COUNTER);
    for (let counter = token.counter; counter <= last; counter++) {
      if (timingSafeEqual(await generateHotp(key, counter, token.digits), otp)) {
        return { match: { kind: 'counter', counter }, lastAccepted: { counterAfter: counter + 1 } };
      }
    }
    const previous = token.counter - 1;
    if (previous >= 0 && previous <= LAST_MATCHABLE_COUNTER && timingSafeEqual(await generateHotp(key, previous, token.digits), otp)) {
      return { match: { kind: 'none' }, lastAccepted: { counterAfter: token.counter } };
    }
    return { match: { kind: 'none' } };
  }
  const currentStep = timeStep(nowMs, token.period_seconds);
  const centre = currentStep + token.drift_steps;
  let lastAccepted: LastAccepted | undefined;
  for (const offset of windowOffsets(TOTP_WINDOW_STEPS)) {
    const step = centre + offset;
    if (step < 0) continue;
    if (timingSafeEqual(await generateHotp(key, step, token.digits), otp)) {
      if (step > token.last_used_step) return { match: { kind: 'step', step, driftSteps: step - currentStep }, lastAccepted: { step } };
      if (step === token.last_used_step) lastAccepted = { step };
    }
  }
  return { match: { kind: 'none' }, lastAccepted };
}

interface OcraCheck {
  suite: OcraSuite;
  challenge: string | undefined;
  /** The suite's challenge field for `challenge`: what the used-pair record compares. */
  challengeField: Uint8Array | null;
}

function prepareOcra(token: TokenRecord, challenge: string | undefined): OcraCheck {
  const suite = parseOcraSuite(token.ocra_suite ?? '');
  // The suite's own PIN input (P) is not stored with the token: such a suite can never verify here.
  if (suite.pin) throw new AppError('UNSUPPORTED_OCRA_SUITE', 'OCRA suites with a PIN input (P) cannot be verified.');
  return { suite, challenge, challengeField: challenge === undefined ? null : ocraChallengeField(suite, challenge) };
}

async function findOcraMatch(token: TokenRecord, ocra: OcraCheck, seed: Bytes, otp: string, nowMs: number): Promise<Found> {
  const { suite, challenge, challengeField } = ocra;
  if (challenge === undefined || challengeField === null) return { match: { kind: 'none' } };
  const lastAccepted = { ocraPairHash: await sha256Hex(`${bytesToHex(challengeField)}:${otp}`) };
  if (suite.counter) {
    const last = Math.min(token.counter + HOTP_LOOK_AHEAD_COUNTERS, LAST_MATCHABLE_COUNTER);
    for (let counter = token.counter; counter <= last; counter++) {
      if (timingSafeEqual(await generateOcra(suite, seed, { counter, challenge }), otp)) return { match: { kind: 'counter', counter }, lastAccepted };
    }
    return { match: { kind: 'none' }, lastAccepted };
  }
  if (suite.timeStepSeconds) {
    const currentStep = timeStep(nowMs, suite.timeStepSeconds);
    for (const offset of windowOffsets(TOTP_WINDOW_STEPS)) {
      const step = currentStep + offset;
      const code = await generateOcra(suite, seed, { challenge, nowMs: step * suite.timeStepSeconds * 1000 });
      if (timingSafeEqual(code, otp)) return { match: step > token.last_used_step ? { kind: 'step', step, driftSteps: 0 } : { kind: 'none' }, lastAccepted };
    }
    return { match: { kind: 'none' }, lastAccepted };
  }
  // Pure challenge-response: no counter or clock; the used-pair record is what makes a pair single use.
  return { match: timingSafeEqual(await generateOcra(suite, seed, { challenge }), otp) ? { kind: 'challenge' } : { kind: 'none' }, lastAccepted };
}

/** 0, -1, +1, -2, +2...: the most likely steps first. */
function windowOffsets(width: number): number[] {
  const offsets = [0];
  for (let i = 1; i <= width; i++) offsets.push(-i, i);
  return offsets;
}

// Every consume's shared condition: still enabled, and not locked meanwhile by a concurrent burst of failures
// (bound to the clock); and what it resets (bound to the clock).
const CONSUME_GUARD = 'enabled = 1 AND (locked_until IS NULL OR locked_until <= ?)';
const CONSUME_RESET = 'fail_count = 0, locked_until = NULL, activated = 1, last_used_at = ?';

/**
 * The one conditional write that turns a matching code into a success (OCRA: together with the record of the
 * pair, in one batch). Returns whether this request won it.
 */
async function consumeMatch(
  db: D1Database,
  token: TokenRecord,
  match: ConsumableMatch,
  nowMs: number,
  pairHash: string | null,
  alsoIfConsumed?: D1PreparedStatement,
): Promise<boolean> {
  const statements: D1PreparedStatement[] = [];
  if (pairHash) statements.push(db.prepare('DELETE FROM ocra_used_pairs WHERE token_id = ? AND expires_at <= ?').bind(token.id, nowMs));
  const pairExpiresAt = nowMs + OCRA_USED_PAIR_RETENTION_MS;
  let deciding: number;
  if (match.kind === 'challenge') {
    // Pure challenge-response: the pair's INSERT decides (of two concurrent uses one inserts, the other conflicts);
    // the token's reset follows it only if it inserted.
    deciding = statements.push(
      db
        .prepare(`INSERT INTO ocra_used_pairs (token_id, pair_hash, expires_at) SELECT id, ?, ? FROM tokens WHERE id = ? AND ${CONSUME_GUARD} ON CONFLICT DO NOTHING`)
        .bind(pairHash, pairExpiresAt, token.id, nowMs),
    ) - 1;
    statements.push(db.prepare(`UPDATE tokens SET ${CONSUME_RESET} WHERE id = ? AND ${CONSUMED_BY_PREVIOUS_STATEMENT}`).bind(nowMs, token.id));
  } else {
    deciding = statements.push(consumeCounterOrStepStatement(db, token.id, match, nowMs)) - 1;
    // OCRA with a counter or clock: the pair is recorded too (only if the UPDATE won), so its replay is recognised.
    // The upsert always changes one row then, which keeps CONSUMED_BY_PREVIOUS_STATEMENT true for alsoIfConsumed.
    if (pairHash) {
      statements.push(
        db
          .prepare(
            `INSERT INTO ocra_used_pairs (token_id, pair_hash, expires_at) SELECT ?, ?, ? WHERE ${CONSUMED_BY_PREVIOUS_STATEMENT}
             ON CONFLICT (token_id, pair_hash) DO UPDATE SET expires_at = excluded.expires_at`,
          )
          .bind(token.id, pairHash, pairExpiresAt),
      );
    }
  }
  if (alsoIfConsumed) statements.push(alsoIfConsumed);
  // The change count of the deciding statement decides, whatever the statements after it did.
  const results = statements.length === 1 ? [await statements[0]!.run()] : await db.batch(statements);
  return results[deciding]!.meta.changes === 1;
}

/**
 * The consume of a counter or time step: moves the token past it, only if it is still ahead of the token and the
 * token is still enabled and not locked meanwhile by a concurrent burst of failures (bind consumeCounterOrStepValues).
 */
function consumeCounterOrStepStatement(
  db: D1Database,
  tokenId: string,
  match: Extract<Match, { kind: 'counter' | 'step' }>,
  nowMs: number,
  onlyIf: { sql: string; values: unknown[] } = { sql: '1', values: [] },
): D1PreparedStatement {
  return match.kind === 'counter'
    ? db
        .prepare(`UPDATE tokens SET counter = ?, ${CONSUME_RESET} WHERE id = ? AND counter <= ? AND ${CONSUME_GUARD} AND ${onlyIf.sql}`)
        .bind(match.counter + 1, nowMs, tokenId, match.counter, nowMs, ...onlyIf.values)
    : db
        .prepare(`UPDATE tokens SET last_used_step = ?, drift_steps = ?, ${CONSUME_RESET} WHERE id = ? AND last_used_step < ? AND ${CONSUME_GUARD} AND ${onlyIf.sql}`)
        .bind(match.step, match.driftSteps, nowMs, tokenId, match.step, nowMs, ...onlyIf.values);
}

/**
 * SQL that is true when the token row shows `lastAccepted` as its last accepted code and is not locked. The
 * placeholders name the token id, the clock and the condition's own value.
 */
function lastAcceptedCondition(lastAccepted: LastAccepted, p: { id: string; now: string; value: string }): { sql: string; value: string | number } {
  const unlocked = `(locked_until IS NULL OR locked_until <= ${p.now})`;
  if ('counterAfter' in lastAccepted) return { sql: `counter = ${p.value} AND ${unlocked}`, value: lastAccepted.counterAfter };
  if ('step' in lastAccepted) return { sql: `last_used_step = ${p.value} AND ${unlocked}`, value: lastAccepted.step };
  return {
    sql: `EXISTS (SELECT 1 FROM ocra_used_pairs WHERE token_id = ${p.id} AND pair_hash = ${p.value} AND expires_at > ${p.now}) AND ${unlocked}`,
    value: lastAccepted.ocraPairHash,
  };
}

async function isLastAccepted(db: D1Database, token: TokenRecord, lastAccepted: LastAccepted, nowMs: number): Promise<boolean> {
  const condition = lastAcceptedCondition(lastAccepted, { id: '?1', now: '?2', value: '?3' });
  return (await db.prepare(`SELECT 1 FROM tokens WHERE id = ?1 AND ${condition.sql}`).bind(token.id, nowMs, condition.value).first()) !== null;
}

/**
 * Counts a failure atomically. A lock that has run out starts a fresh count (the timed automatic unlock);
 * reaching TOKEN_MAX_FAILS sets a new lock. With `lastAccepted`, the same statement counts nothing when the row
 * shows that code as the one accepted last: then the answer is OTP_REPLAYED.
 */
export async function recordFailure(
  db: D1Database,
  token: TokenRecord,
  nowMs: number,
  reason: VerifyFailureReason,
  lastAccepted?: LastAccepted,
): Promise<VerifyResult> {
  const replay = lastAccepted ? lastAcceptedCondition(lastAccepted, { id: '?4', now: '?1', value: '?5' }) : null;
  const statement = db.prepare(
    `UPDATE tokens SET
       fail_count = CASE WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN 1 ELSE fail_count + 1 END,
       locked_until = CASE
         WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN 1 ELSE fail_count + 1 END) >= ?2 THEN ?3
         WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN NULL
         ELSE locked_until END
     WHERE id = ?4${replay ? ` AND NOT (${replay.sql})` : ''}
     RETURNING fail_count, locked_until`,
  );
  const row = await (replay
    ? statement.bind(nowMs, TOKEN_MAX_FAILS, nowMs + TOKEN_LOCK_DURATION_MS, token.id, replay.value)
    : statement.bind(nowMs, TOKEN_MAX_FAILS, nowMs + TOKEN_LOCK_DURATION_MS, token.id)
  ).first<{ fail_count: number; locked_until: number | null }>();
  if (!row && replay) return { ok: false, tokenId: token.id, reason: 'OTP_REPLAYED' };
  const lockedNow = row?.locked_until != null && row.locked_until > nowMs;
  return {
    ok: false,
    tokenId: token.id,
    // The attempt that reaches the limit is told it locked the token: the answer says locked, not just wrong.
    reason: lockedNow ? 'TOKEN_LOCKED' : reason,
    lockedUntil: row?.locked_until ?? null,
    failCount: row?.fail_count,
  };
}

export type ResyncResult =
  | { ok: true }
  | { ok: false; reason: 'OTP_INVALID' | 'TOKEN_TYPE_MISMATCH' | 'TOKEN_DISABLED' | 'TOKEN_LOCKED' | 'RATE_LIMITED'; lockedUntil?: number | null; retryAfterMs?: number };

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
): Promise<ResyncResult> {
  if (keys.hotState && HOT_STATE_TOKEN_TYPES.includes(token.type)) return keys.hotState.resync(token, firstOtp, secondOtp, nowMs);
  return resyncIn(d1TokenState(db), keys, token, firstOtp, secondOtp, nowMs);
}

/** resyncToken against `store`, the owner of the token's hot state. */
export async function resyncIn(
  store: TokenStateStore,
  keys: VerifyKeys,
  token: TokenRecord,
  firstOtp: string,
  secondOtp: string,
  nowMs: number,
): Promise<ResyncResult> {
  if (!token.enabled) return { ok: false, reason: 'TOKEN_DISABLED' };
  if (!token.secret_encrypted || (token.type !== 'HOTP' && token.type !== 'TOTP')) return { ok: false, reason: 'TOKEN_TYPE_MISMATCH' };
  const claim = await store.claimResyncAttempt(token, nowMs);
  if (!claim.ok) return claim;
  const key = await importHmacKey(await openSeed(keys.seedKey, token.id, token.secret_encrypted), token.algorithm);
  const anchor = token.type === 'HOTP' ? await findHotpPair(key, token, firstOtp, secondOtp) : await findTotpPair(key, token, firstOtp, secondOtp, nowMs);
  if (anchor && (await store.applyResync(token, anchor, claim.lockedUntil, nowMs))) return { ok: true };
  return claim.lockedUntil !== null ? { ok: false, reason: 'TOKEN_LOCKED', lockedUntil: claim.lockedUntil } : { ok: false, reason: 'OTP_INVALID' };
}

/**
 * Claims one resync attempt before any code is computed, in one batch: a hit on the per-token rate limit, and a
 * failure counted on the token only while that hit is allowed and the token is not locked. The attempt that
 * reaches TOKEN_MAX_FAILS locks the token at once (no attempt can be claimed after it); its own success lifts
 * that lock again. Returns the lock this attempt set, if it did.
 */
async function claimResyncAttempt(db: D1Database, token: TokenRecord, nowMs: number): Promise<ResyncClaim> {
  const rateKey = `resync:${token.id}`;
  const [limitRows, claimRows] = await db.batch([
    consumeRateLimitStatement(db, rateKey, RESYNC_ATTEMPTS_PER_TOKEN, RESYNC_WINDOW_MS, nowMs),
    claimTokenAttemptStatement(db, token.id, nowMs, { sql: '(SELECT count FROM rate_limits WHERE key = ?5) <= ?6', values: [rateKey, RESYNC_ATTEMPTS_PER_TOKEN] }),
  ]);
  const limit = rateLimitResultFromRow(limitRows!.results[0] as { count: number; expires_at: number }, RESYNC_ATTEMPTS_PER_TOKEN, nowMs);
  if (!limit.allowed) return { ok: false, reason: 'RATE_LIMITED', retryAfterMs: limit.retryAfterMs };
  const claimed = claimRows!.results[0] as { locked_until: number | null } | undefined;
  if (!claimed) return { ok: false, reason: 'TOKEN_LOCKED', lockedUntil: token.locked_until !== null && token.locked_until > nowMs ? token.locked_until : null };
  return { ok: true, lockedUntil: claimed.locked_until };
}

/**
 * Claims one attempt at a token's secret BEFORE the secret is examined: counted as a failure, in one statement,
 * only while the token is enabled and not locked (a lock that has run out starts a fresh count); the claim that
 * reaches TOKEN_MAX_FAILS locks the token at once, so no attempt can be claimed after it however many race.
 * RETURNING locked_until: no row means the secret must not be examined (locked or disabled); a value is the lock
 * this very claim set, which only its own success may lift. `onlyIf` adds a condition (placeholders from ?5 on).
 */
export function claimTokenAttemptStatement(db: D1Database, tokenId: string, nowMs: number, onlyIf?: { sql: string; values: unknown[] }): D1PreparedStatement {
  // The WHERE admits only unlocked rows (or run-out locks, which start a fresh count): the SETs rely on it.
  return db
    .prepare(
      `UPDATE tokens SET
         fail_count = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE fail_count + 1 END,
         locked_until = CASE WHEN (CASE WHEN locked_until IS NOT NULL THEN 1 ELSE fail_count + 1 END) >= ?2 THEN ?3 ELSE NULL END
       WHERE id = ?4 AND enabled = 1 AND (locked_until IS NULL OR locked_until <= ?1)${onlyIf ? ` AND ${onlyIf.sql}` : ''}
       RETURNING locked_until`,
    )
    .bind(nowMs, TOKEN_MAX_FAILS, nowMs + TOKEN_LOCK_DURATION_MS, tokenId, ...(onlyIf?.values ?? []));
}

/**
 * A claimed attempt that turned out to be no failure (a right PIN asking for a code, or a code another token
 * accepted): its count is given back and the lock it set, if it set one, lifted. Any other lock stays.
 */
export function releaseTokenAttemptStatement(db: D1Database, tokenId: string, lockedByClaim: number | null): D1PreparedStatement {
  return db
    .prepare('UPDATE tokens SET fail_count = max(fail_count - 1, 0), locked_until = CASE WHEN locked_until = ?2 THEN NULL ELSE locked_until END WHERE id = ?1')
    .bind(tokenId, lockedByClaim ?? -1);
}

/** A resync attempt claimed (with the lock it set, if it reached the limit), or why none could be. */
export type ResyncClaim = { ok: true; lockedUntil: number | null } | Extract<ResyncResult, { ok: false }>;

/**
 * Where two consecutive codes were found: the counter (HOTP) or step and drift (TOTP) to store, and the first
 * code's counter/step, which the token must not have moved past meanwhile (`unusedFrom`).
 */
export type ResyncAnchor =
  | { kind: 'counter'; counterAfter: number; unusedFrom: number }
  | { kind: 'step'; lastUsedStep: number; driftSteps: number; unusedFrom: number };

async function findHotpPair(key: CryptoKey, token: TokenRecord, firstOtp: string, secondOtp: string): Promise<ResyncAnchor | null> {
  // The success stores the counter after the second code: it must stay exact (LAST_MATCHABLE_COUNTER).
  const last = Math.min(token.counter + HOTP_RESYNC_WINDOW_COUNTERS - 1, LAST_MATCHABLE_COUNTER - 1);
  if (token.counter > last) return null;
  let previous = await generateHotp(key, token.counter, token.digits);
  for (let counter = token.counter; counter <= last; counter++) {
    const next = await generateHotp(key, counter + 1, token.digits);
    if (timingSafeEqual(previous, firstOtp) && timingSafeEqual(next, secondOtp)) {
      return { kind: 'counter', counterAfter: counter + 2, unusedFrom: counter };
    }
    previous = next;
  }
  return null;
}

async function findTotpPair(key: CryptoKey, token: TokenRecord, firstOtp: string, secondOtp: string, nowMs: number): Promise<ResyncAnchor | null> {
  const currentStep = timeStep(nowMs, token.period_seconds);
  const codes = new Map<number, string>();
  const codeAt = async (step: number): Promise<string> => {
    const known = codes.get(step);
    if (known !== undefined) return known;
    const code = await generateHotp(key, step, token.digits);
    codes.set(step, code);
    return code;
  };
  for (const offset of windowOffsets(TOTP_RESYNC_WINDOW_STEPS)) {
    const step = currentStep + offset;
    if (step <= token.last_used_step || step < 0) continue;
    if (timingSafeEqual(await codeAt(step), firstOtp) && timingSafeEqual(await codeAt(step + 1), secondOtp)) {
      return { kind: 'step', lastUsedStep: step + 1, driftSteps: step + 1 - currentStep, unusedFrom: step };
    }
  }
  return null;
}

/** Computes the code a token shows at `nowMs` (or its next counter): for tests and the demo seed only. */
export async function currentCodeOf(seed: Bytes, token: Pick<TokenRecord, 'type' | 'algorithm' | 'digits' | 'period_seconds' | 'counter'>, nowMs: number) {
  const key = await importHmacKey(seed, token.algorithm);
  return token.type === 'HOTP'
    ? generateHotp(key, token.counter, token.digits)
    : generateTotp(key, nowMs, token.period_seconds, token.digits);
}
