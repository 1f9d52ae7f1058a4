/**
 * OTP verification against a stored token: PIN, windows, drift, replay protection, fail counter and lockout.
 *
 * The order matters for security:
 * 1. refuse disabled, pending or locked tokens before looking at the code (a lock is not an oracle);
 * 2. check the PIN and the code without writing anything;
 * 3. consume the matched counter/step with ONE conditional UPDATE whose change count decides: of two concurrent
 *    requests carrying the same valid code, exactly one changes the row; the other fails as a replay;
 * 4. every failure (wrong PIN, wrong code, replay) increments the fail counter atomically; reaching the maximum
 *    locks the token until a time after which it unlocks by itself.
 */
import {
  HOTP_LOOK_AHEAD_COUNTERS,
  HOTP_RESYNC_WINDOW_COUNTERS,
  TOKEN_LOCK_DURATION_MS,
  TOKEN_MAX_FAILS,
  TOTP_RESYNC_WINDOW_STEPS,
  TOTP_WINDOW_STEPS,
} from '../constants';
import type { HashAlgorithm, TokenType } from '../db/schema';
import { timingSafeEqual } from '../lib/crypto';
import type { Bytes } from '../lib/encoding';
import { checkPin, openSeed, upgradeLegacyPinHash } from '../tokens/secrets';
import { generateHotp, importHmacKey } from './hotp';
import { generateOcra, parseOcraSuite } from './ocra';
import { generateTotp, timeStep } from './totp';

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
  | { ok: true; tokenId: string; serial: string; matched: { counter: number } | { step: number; driftSteps: number } | { challenge: true } }
  | { ok: false; tokenId: string; reason: VerifyFailureReason; lockedUntil?: number | null; failCount?: number };

export interface VerifyKeys {
  seedKey: string;
  pinKey: string;
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
  /**
   * false: a wrong PIN, wrong code or replay is answered but not added to the token's fail counter. Safe ONLY
   * behind a counter the caller claimed before this call, which then bounds the guesses instead: without one this
   * is an unlimited OTP oracle. Restore access uses it (RESTORE_ACCESS_SUBMITS_PER_* in constants.ts), so anonymous
   * requests cannot lock the victim's token.
   */
  countFailure?: boolean;
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
  if (!token.enabled) return { ok: false, tokenId: token.id, reason: 'TOKEN_DISABLED' };
  if (!token.activated && !options.allowActivation) return { ok: false, tokenId: token.id, reason: 'TOKEN_PENDING' };
  if (token.locked_until !== null && token.locked_until > nowMs) {
    return { ok: false, tokenId: token.id, reason: 'TOKEN_LOCKED', lockedUntil: token.locked_until };
  }
  if (!token.secret_encrypted || !['TOTP', 'HOTP', 'OCRA'].includes(token.type)) {
    return { ok: false, tokenId: token.id, reason: 'TOKEN_TYPE_MISMATCH' };
  }

  const fail = (reason: VerifyFailureReason): Promise<VerifyResult> =>
    options.countFailure === false ? Promise.resolve({ ok: false, tokenId: token.id, reason }) : recordFailure(db, token, nowMs, reason);
  const otpDigits = token.type === 'OCRA' ? parseOcraSuite(token.ocra_suite ?? '').digits : token.digits;
  const split = splitPinAndOtp(input.trim(), otpDigits, token.pin_hash !== null, token.pin_position);
  const pinOk =
    split !== null && (token.pin_hash === null || (await checkPin(keys.pinKey, token.id, split.pin, token.pin_hash)));
  if (!split || !pinOk) return fail('OTP_INVALID');

  const seed = await openSeed(keys.seedKey, token.id, token.secret_encrypted);
  const match = await findMatch(token, seed, split.otp, nowMs, options.challenge);
  if (match.kind === 'none') return fail('OTP_INVALID');
  if (match.kind === 'used') return fail('OTP_REPLAYED');

  const consumed = await consumeMatch(db, token, match, nowMs, options.alsoIfConsumed);
  if (!consumed) return fail('OTP_REPLAYED');
  await upgradeLegacyPinHash(db, keys.pinKey, token.id, split.pin, token.pin_hash);
  return { ok: true, tokenId: token.id, serial: token.serial, matched: describeMatch(match) };
}

type Match =
  | { kind: 'counter'; counter: number }
  | { kind: 'step'; step: number; driftSteps: number }
  | { kind: 'challenge' }
  | { kind: 'used' }
  | { kind: 'none' };

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

async function findMatch(token: TokenRecord, seed: Bytes, otp: string, nowMs: number, challenge?: string): Promise<Match> {
  if (token.type === 'OCRA') return findOcraMatch(token, seed, otp, nowMs, challenge);
  const key = await importHmacKey(seed, token.algorithm);
  if (token.type === 'HOTP') {
    for (let counter = token.counter; counter <= token.counter + HOTP_LOOK_AHEAD_COUNTERS; counter++) {
      if (timingSafeEqual(await generateHotp(key, counter, token.digits), otp)) return { kind: 'counter', counter };
    }
    // A code from just before the expected counter is a replay (or a very old code): say so.
    for (let counter = Math.max(0, token.counter - 3); counter < token.counter; counter++) {
      if (timingSafeEqual(await generateHotp(key, counter, token.digits), otp)) return { kind: 'used' };
    }
    return { kind: 'none' };
  }
  const currentStep = timeStep(nowMs, token.period_seconds);
  const centre = currentStep + token.drift_steps;
  let usedMatch = false;
  for (const offset of windowOffsets(TOTP_WINDOW_STEPS)) {
    const step = centre + offset;
    if (step < 0) continue;
    if (timingSafeEqual(await generateHotp(key, step, token.digits), otp)) {
      if (step <= token.last_used_step) usedMatch = true;
      else return { kind: 'step', step, driftSteps: step - currentStep };
    }
  }
  return usedMatch ? { kind: 'used' } : { kind: 'none' };
}

async function findOcraMatch(token: TokenRecord, seed: Bytes, otp: string, nowMs: number, challenge?: string): Promise<Match> {
  if (challenge === undefined) return { kind: 'none' };
  const suite = parseOcraSuite(token.ocra_suite ?? '');
  if (suite.counter) {
    for (let counter = token.counter; counter <= token.counter + HOTP_LOOK_AHEAD_COUNTERS; counter++) {
      if (timingSafeEqual(await generateOcra(suite, seed, { counter, challenge }), otp)) return { kind: 'counter', counter };
    }
    return { kind: 'none' };
  }
  if (suite.timeStepSeconds) {
    const currentStep = timeStep(nowMs, suite.timeStepSeconds);
    for (const offset of windowOffsets(TOTP_WINDOW_STEPS)) {
      const step = currentStep + offset;
      const code = await generateOcra(suite, seed, { challenge, nowMs: step * suite.timeStepSeconds * 1000 });
      if (timingSafeEqual(code, otp)) return step <= token.last_used_step ? { kind: 'used' } : { kind: 'step', step, driftSteps: 0 };
    }
    return { kind: 'none' };
  }
  // Pure challenge-response: freshness comes from the challenge, which the relying party must not reuse.
  return timingSafeEqual(await generateOcra(suite, seed, { challenge }), otp) ? { kind: 'challenge' } : { kind: 'none' };
}

/** 0, -1, +1, -2, +2...: the most likely steps first. */
function windowOffsets(width: number): number[] {
  const offsets = [0];
  for (let i = 1; i <= width; i++) offsets.push(-i, i);
  return offsets;
}

/** The one conditional write that turns a matching code into a success. */
async function consumeMatch(db: D1Database, token: TokenRecord, match: Match, nowMs: number, alsoIfConsumed?: D1PreparedStatement): Promise<boolean> {
  // Shared conditions: still enabled, and not locked meanwhile by a concurrent burst of failures.
  const guard = 'enabled = 1 AND (locked_until IS NULL OR locked_until <= ?)';
  const reset = 'fail_count = 0, locked_until = NULL, activated = 1, last_used_at = ?';
  let statement: D1PreparedStatement;
  if (match.kind === 'counter') {
    statement = db
      .prepare(`UPDATE tokens SET counter = ?, ${reset} WHERE id = ? AND counter <= ? AND ${guard}`)
      .bind(match.counter + 1, nowMs, token.id, match.counter, nowMs);
  } else if (match.kind === 'step') {
    statement = db
      .prepare(`UPDATE tokens SET last_used_step = ?, drift_steps = ?, ${reset} WHERE id = ? AND last_used_step < ? AND ${guard}`)
      .bind(match.step, match.driftSteps, nowMs, token.id, match.step, nowMs);
  } else {
    statement = db.prepare(`UPDATE tokens SET ${reset} WHERE id = ? AND ${guard}`).bind(nowMs, token.id, nowMs);
  }
  // The change count of the UPDATE decides, whatever the statement after it did.
  const [result] = alsoIfConsumed ? await db.batch([statement, alsoIfConsumed]) : [await statement.run()];
  return result!.meta.changes === 1;
}

/**
 * Counts a failure atomically. A lock that has run out starts a fresh count (the timed automatic unlock);
 * reaching TOKEN_MAX_FAILS sets a new lock.
 */
export async function recordFailure(db: D1Database, token: TokenRecord, nowMs: number, reason: VerifyFailureReason): Promise<VerifyResult> {
  const row = await db
    .prepare(
      `UPDATE tokens SET
         fail_count = CASE WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN 1 ELSE fail_count + 1 END,
         locked_until = CASE
           WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN 1 ELSE fail_count + 1 END) >= ?2 THEN ?3
           WHEN locked_until IS NOT NULL AND locked_until <= ?1 THEN NULL
           ELSE locked_until END
       WHERE id = ?4
       RETURNING fail_count, locked_until`,
    )
    .bind(nowMs, TOKEN_MAX_FAILS, nowMs + TOKEN_LOCK_DURATION_MS, token.id)
    .first<{ fail_count: number; locked_until: number | null }>();
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

export type ResyncResult = { ok: true } | { ok: false; reason: 'OTP_INVALID' | 'TOKEN_TYPE_MISMATCH' | 'TOKEN_DISABLED' };

/**
 * Resynchronisation: two consecutive codes found next to each other anywhere in a large window re-anchor the
 * counter (HOTP) or the drift (TOTP). Two consecutive codes at random have a chance of about window/10^12.
 */
export async function resyncToken(
  db: D1Database,
  keys: VerifyKeys,
  token: TokenRecord,
  firstOtp: string,
  secondOtp: string,
  nowMs: number,
): Promise<ResyncResult> {
  if (!token.enabled) return { ok: false, reason: 'TOKEN_DISABLED' };
  if (!token.secret_encrypted || (token.type !== 'HOTP' && token.type !== 'TOTP')) return { ok: false, reason: 'TOKEN_TYPE_MISMATCH' };
  const key = await importHmacKey(await openSeed(keys.seedKey, token.id, token.secret_encrypted), token.algorithm);
  if (token.type === 'HOTP') {
    let previous = await generateHotp(key, token.counter, token.digits);
    for (let counter = token.counter; counter < token.counter + HOTP_RESYNC_WINDOW_COUNTERS; counter++) {
      const next = await generateHotp(key, counter + 1, token.digits);
      if (timingSafeEqual(previous, firstOtp) && timingSafeEqual(next, secondOtp)) {
        const result = await db
          .prepare('UPDATE tokens SET counter = ?, fail_count = 0, locked_until = NULL, activated = 1 WHERE id = ? AND counter <= ?')
          .bind(counter + 2, token.id, counter)
          .run();
        return result.meta.changes === 1 ? { ok: true } : { ok: false, reason: 'OTP_INVALID' };
      }
      previous = next;
    }
    return { ok: false, reason: 'OTP_INVALID' };
  }
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
      const result = await db
        .prepare(
          'UPDATE tokens SET last_used_step = ?, drift_steps = ?, fail_count = 0, locked_until = NULL, activated = 1 WHERE id = ? AND last_used_step < ?',
        )
        .bind(step + 1, step + 1 - currentStep, token.id, step)
        .run();
      return result.meta.changes === 1 ? { ok: true } : { ok: false, reason: 'OTP_INVALID' };
    }
  }
  return { ok: false, reason: 'OTP_INVALID' };
}

/** Computes the code a token shows at `nowMs` (or its next counter): for tests and the demo seed only. */
export async function currentCodeOf(seed: Bytes, token: Pick<TokenRecord, 'type' | 'algorithm' | 'digits' | 'period_seconds' | 'counter'>, nowMs: number) {
  const key = await importHmacKey(seed, token.algorithm);
  return token.type === 'HOTP'
    ? generateHotp(key, token.counter, token.digits)
    : generateTotp(key, nowMs, token.period_seconds, token.digits);
}
