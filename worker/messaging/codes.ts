/**
 * One-time codes by SMS or email, held in the `challenges` table.
 *
 * - The client gets a random `challengeId` (256 bits); the row's id is SHA-256 of it, and the code is stored as
 *   SHA-256(challengeId ":" code). Someone who reads the database sees neither the code nor the challengeId,
 *   and without the challengeId a 6-digit code hash cannot be brute-forced offline.
 * - Issuing is limited (cooldown, per phone/recipient, user, IP: limits.ts) before any provider is called.
 * - Every guess first claims an attempt with one conditional UPDATE (`attempts < max_attempts`), and only then is
 *   compared: a thousand parallel guesses still get at most CODE_MAX_ATTEMPTS comparisons per code.
 * - A correct code is consumed with `UPDATE ... WHERE consumed_at IS NULL`; its change count decides, so two
 *   concurrent uses of one code succeed exactly once.
 * - A new code for the same purpose and recipient voids the older ones.
 */
import { consumeChallenge } from '../auth/repo';
import { CODE_DIGITS, CODE_MAX_ATTEMPTS, CODE_TTL_MS } from '../constants';
import { AppError } from '../errors';
import { randomNumericCode, randomToken, sha256Hex, timingSafeEqual } from '../lib/crypto';
import { normalizeEmailRecipient, normalizeSmsRecipient, renderEmailMessage, renderSmsText, sendEmail, sendSms, type MessagingEnv } from './service';
import type { Language } from '../contract/language';
import { claimCodeAttempt, findCodeState, insertSentCodeStatement, voidSentCodesStatement } from './repo';
import { loadMessagingSettings } from './settings';

export interface IssueCodeInput {
  /** What the code unlocks (login-sms, phone-verification, recovery-email...); verifyCode can insist on it. */
  purpose: string;
  userId: string | null;
  channel: 'sms' | 'email';
  /** Phone number (any common format, normalised to E.164) or email address. */
  target: string;
  language: Language;
  /** The recipient's name for the {{name}} placeholder. */
  name: string;
  ip: string | null;
  nowMs: number;
  /** For the {{link}} placeholder (e.g. a recovery link that carries the challenge); lines using it are left out otherwise. */
  link?: string;
  /** Flow state kept with the challenge and returned by verifyCode. */
  data?: Record<string, unknown>;
  /**
   * A statement for the batch that stores the code, right after its insert, given the normalised target: the
   * admin's audit row of "Send code", written exactly when a code was stored (a refused or failed send stores none).
   */
  alsoWhenStored?: (target: string) => D1PreparedStatement;
  /**
   * The challengeId to use instead of a fresh one: flows that must not reveal whether a code went out give every
   * caller a challengeId at once and send (or not) after the response.
   */
  challengeId?: string;
}

export interface IssuedCode {
  challengeId: string;
  expiresAtMs: number;
  /** The normalised target the code went to. */
  target: string;
  channel: 'sms' | 'email';
}

export type VerifyCodeResult =
  | { ok: true; userId: string | null; target: string; purpose: string; data: Record<string, unknown> }
  | { ok: false; reason: 'CODE_INVALID'; attemptsLeft: number }
  | { ok: false; reason: 'CODE_EXPIRED' | 'RATE_LIMITED' };

export async function issueCode(env: MessagingEnv, input: IssueCodeInput): Promise<IssuedCode> {
  const target = input.channel === 'sms' ? normalizeSmsRecipient(input.target) : normalizeEmailRecipient(input.target);
  const settings = await loadMessagingSettings(env);
  const code = randomNumericCode(CODE_DIGITS);
  const challengeId = input.challengeId ?? randomToken(32);
  const [rowId, codeHash] = await Promise.all([sha256Hex(challengeId), codeHashFor(challengeId, code)]);
  const expiresAtMs = input.nowMs + CODE_TTL_MS;
  const values = { code, name: input.name, link: input.link, validityMs: CODE_TTL_MS };
  const common = {
    purpose: input.purpose,
    language: input.language,
    userId: input.userId,
    ip: input.ip,
    nowMs: input.nowMs,
    redact: [code],
    cooldown: true,
    settings,
  };

  // Limits are enforced inside the send, before any provider is called; the challenge is written only once the
  // message went out, so refused or failed sends leave nothing behind.
  if (input.channel === 'sms') {
    await sendSms(env, env.DB, { ...common, to: target, text: renderSmsText(settings, input.language, values) });
  } else {
    const { subject, text } = renderEmailMessage(settings, input.language, values);
    await sendEmail(env, env.DB, { ...common, to: target, subject, text });
  }

  await env.DB.batch([
    voidSentCodesStatement(env.DB, { purpose: input.purpose, target, userId: input.userId, nowMs: input.nowMs }),
    insertSentCodeStatement(env.DB, {
      id: rowId,
      purpose: input.purpose,
      userId: input.userId,
      target,
      codeHash,
      maxAttempts: CODE_MAX_ATTEMPTS,
      data: JSON.stringify({ channel: input.channel, language: input.language, ...(input.data ? { flow: input.data } : {}) }),
      ip: input.ip,
      createdAt: input.nowMs,
      expiresAt: expiresAtMs,
    }),
    ...(input.alsoWhenStored ? [input.alsoWhenStored(target)] : []),
  ]);
  return { challengeId, expiresAtMs, target, channel: input.channel };
}

export interface VerifyCodeInput {
  challengeId: string;
  code: string;
  nowMs: number;
  /** When given, a challenge issued for another purpose does not match (a login code cannot verify a phone). */
  purpose?: string;
  /**
   * false: a refused claim answers CODE_INVALID without the read that tells expired from void. For callers whose
   * challenge may have no row by design (anonymous flows): that read ran only when no code was sent, so its time
   * told a phantom flow from a real one.
   */
  explainRefusal?: boolean;
}

export async function verifyCode(env: Pick<MessagingEnv, 'DB'>, input: VerifyCodeInput): Promise<VerifyCodeResult> {
  const db = env.DB;
  if (typeof input.challengeId !== 'string' || input.challengeId.length < 16 || input.challengeId.length > 128) {
    return { ok: false, reason: 'CODE_INVALID', attemptsLeft: 0 };
  }
  const rowId = await sha256Hex(input.challengeId);

  // Claim one attempt before comparing (see the header): the UPDATE's condition is the brute-force bound.
  const claimed = await claimCodeAttempt(db, rowId, input.nowMs, input.purpose ?? null);

  if (!claimed) return input.explainRefusal === false ? { ok: false, reason: 'CODE_INVALID', attemptsLeft: 0 } : explainUnclaimed(db, rowId, input);

  const given = normalizeCodeInput(input.code);
  const matches = timingSafeEqual(await codeHashFor(input.challengeId, given), claimed.codeHash);
  if (!matches) return { ok: false, reason: 'CODE_INVALID', attemptsLeft: Math.max(0, claimed.maxAttempts - claimed.attempts) };

  // Another request consumed it between our claim and now: only one of two concurrent uses wins.
  if (!(await consumeChallenge(db, rowId, input.nowMs))) return { ok: false, reason: 'CODE_INVALID', attemptsLeft: 0 };

  let data: Record<string, unknown>;
  try {
    const parsed = JSON.parse(claimed.data) as { flow?: Record<string, unknown> };
    data = parsed.flow ?? {};
  } catch {
    data = {};
  }
  return { ok: true, userId: claimed.userId, target: claimed.target, purpose: claimed.purpose, data };
}

/** Throws the matching AppError for a failed verification, for routes that prefer exceptions. */
export function codeFailureError(result: Exclude<VerifyCodeResult, { ok: true }>): AppError {
  if (result.reason === 'CODE_INVALID') return new AppError('CODE_INVALID', undefined, { attemptsLeft: result.attemptsLeft });
  return new AppError(result.reason);
}

async function explainUnclaimed(db: D1Database, rowId: string, input: VerifyCodeInput): Promise<VerifyCodeResult> {
  const row = await findCodeState(db, rowId);
  if (!row || row.codeHash === null || row.consumedAt !== null) return { ok: false, reason: 'CODE_INVALID', attemptsLeft: 0 };
  if (input.purpose !== undefined && row.purpose !== input.purpose) return { ok: false, reason: 'CODE_INVALID', attemptsLeft: 0 };
  if (row.expiresAt <= input.nowMs) return { ok: false, reason: 'CODE_EXPIRED' };
  // Out of attempts: the code is void; only a new code helps.
  return { ok: false, reason: 'RATE_LIMITED' };
}

function normalizeCodeInput(code: string): string {
  // People type "123 456" or "123-456" from how the SMS is read aloud or grouped.
  return typeof code === 'string' ? code.replace(/[\s-]/g, '') : '';
}

function codeHashFor(challengeId: string, code: string): Promise<string> {
  return sha256Hex(`${challengeId}:${code}`);
}
