/**
 * The code math of a check, pure: no D1, no environment, no token store. Given a token's parameters and the state
 * it was read in (counter, last used step, drift), it says where a typed code matches (a counter, a time step, or an
 * OCRA challenge pair) or that it does not, and which code the token accepted last, for the replay answer. Whether
 * that match is still unused is decided by the one conditional statement that consumes it (tokens/repo.ts).
 */
import { HOTP_LOOK_AHEAD_COUNTERS, HOTP_RESYNC_WINDOW_COUNTERS, TOTP_RESYNC_WINDOW_STEPS, TOTP_WINDOW_STEPS } from '../constants';
import { AppError } from '../errors';
import { sha256Hex, timingSafeEqual } from '../lib/crypto';
import { bytesToHex, type Bytes } from '../lib/encoding';
import { generateHotp, MAX_HOTP_COUNTER, type HashAlgorithm } from './hotp';
import { generateOcra, ocraChallengeField, parseOcraSuite, type OcraSuite } from './ocra';
import { timeStep } from './totp';

/** What the math reads of a token: its parameters and the verification state it was read in. */
export interface OtpToken {
  type: string;
  algorithm: HashAlgorithm;
  digits: number;
  period_seconds: number;
  counter: number;
  ocra_suite: string | null;
  last_used_step: number;
  drift_steps: number;
}

export type Match =
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

export interface Found {
  match: Match;
  /** Set when the code equals one the token may have accepted last; the row decides (lastAcceptedCondition). */
  lastAccepted?: LastAccepted;
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
export const LAST_MATCHABLE_COUNTER = MAX_HOTP_COUNTER - 1;

export async function findMatch(token: OtpToken, key: CryptoKey, otp: string, nowMs: number): Promise<Found> {
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

export interface OcraCheck {
  suite: OcraSuite;
  challenge: string | undefined;
  /** The suite's challenge field for `challenge`: what the used-pair record compares. */
  challengeField: Uint8Array | null;
}

export function prepareOcra(token: Pick<OtpToken, 'ocra_suite'>, challenge: string | undefined): OcraCheck {
  const suite = parseOcraSuite(token.ocra_suite ?? '');
  // The suite's own PIN input (P) is not stored with the token: such a suite can never verify here.
  if (suite.pin) throw new AppError('UNSUPPORTED_OCRA_SUITE', 'OCRA suites with a PIN input (P) cannot be verified.');
  return { suite, challenge, challengeField: challenge === undefined ? null : ocraChallengeField(suite, challenge) };
}

export async function findOcraMatch(token: OtpToken, ocra: OcraCheck, seed: Bytes, otp: string, nowMs: number): Promise<Found> {
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

/**
 * Where two consecutive codes were found: the counter (HOTP) or step and drift (TOTP) to store, and the first
 * code's counter/step, which the token must not have moved past meanwhile (`unusedFrom`).
 */
export type ResyncAnchor =
  | { kind: 'counter'; counterAfter: number; unusedFrom: number }
  | { kind: 'step'; lastUsedStep: number; driftSteps: number; unusedFrom: number };

export async function findHotpPair(key: CryptoKey, token: OtpToken, firstOtp: string, secondOtp: string): Promise<ResyncAnchor | null> {
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

export async function findTotpPair(key: CryptoKey, token: OtpToken, firstOtp: string, secondOtp: string, nowMs: number): Promise<ResyncAnchor | null> {
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
