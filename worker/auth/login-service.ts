/**
 * Platform sign-in at /login as a small state machine:
 *   password  --(no second factor)-->  signed in
 *   password  --(second factor)----->  awaiting second factor  --(OTP)-->  signed in
 * The state between the steps is a `challenges` row referenced by an unguessable handle the client holds; it is
 * bound to the user, expires, and allows a few attempts only.
 */
import { CODE_MAX_ATTEMPTS, SIGNIN_ATTEMPTS_PER_IP, SIGNIN_WINDOW_MS } from '../constants';
import { activityStatement } from '../activities/record';
import type { Env } from '../env';
import { AppError } from '../errors';
import { dummyPasswordHash, randomToken, sha256Hex, verifyPassword } from '../lib/crypto';
import { consumeRateLimit } from '../lib/rate-limit';
import { issueCode, verifyCode } from '../messaging/codes';
import { TOKEN_RECORD_COLUMNS, verifyTokenOtp, type TokenRecord } from '../otp/verify-service';
import { isTwoFactorEnabled, officesForbiddingTwoFactor } from '../settings/platform';
import { verifyKeysOf } from '../tokens/service';
import { claimPasswordAttempt, clearLoginFailuresStatement } from './login-lock';
import { mintSessionToken, sessionStatement } from './sessions';

const SECOND_FACTOR_TTL_MS = 5 * 60 * 1000;

export interface RequestMeta {
  ip: string;
  client: string;
  nowMs: number;
}

export type SecondFactorMethod = 'otp' | 'sms';

export type LoginStep =
  | { state: 'signed_in'; sessionToken: string; sessionId: string; userId: string }
  | { state: 'second_factor'; challenge: string; methods: SecondFactorMethod[]; expiresAt: number };

interface UserForLogin {
  id: string;
  login: string;
  password_hash: string | null;
  enabled: number;
  language: 'de' | 'en';
  first_name: string;
  sms_phone: string | null;
  sms_phone_verified: number;
  sms_two_factor_active: number;
}

const USER_COLUMNS = 'u.id, u.login, u.password_hash, u.enabled, u.language, u.first_name, u.sms_phone, u.sms_phone_verified, u.sms_two_factor_active';

export async function startPasswordLogin(env: Env, login: string, password: string, meta: RequestMeta): Promise<LoginStep> {
  const db = env.DB;
  const ipLimit = await consumeRateLimit(db, `signin-ip:${meta.ip}`, SIGNIN_ATTEMPTS_PER_IP, SIGNIN_WINDOW_MS, meta.nowMs);
  if (!ipLimit.allowed) throw new AppError('RATE_LIMITED');

  // The attempt is claimed before the password is looked at: a refused claim means no PBKDF2 against the real
  // hash, so a parallel burst gets at most LOGIN_MAX_FAILS evaluations and the right password after it is locked too.
  const claim = await claimPasswordAttempt(db, login, meta.nowMs);
  const user = await db
    .prepare(`SELECT ${USER_COLUMNS} FROM users u WHERE lower(u.login) = lower(?)`)
    .bind(login)
    .first<UserForLogin>();
  if (!claim.allowed) {
    await logAttempt(env, user, login, meta, 'locked');
    throw new AppError('ACCOUNT_LOCKED', undefined, { lockedUntil: claim.lockedUntil });
  }
  // Always run one PBKDF2 verification, against a dummy hash when there is nothing to check: the answer and its
  // timing are the same for unknown logins, users without a password and wrong passwords.
  const passwordOk = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
  if (!user || !user.password_hash || !passwordOk || !user.enabled) {
    await logAttempt(env, user, login, meta, user && !user.enabled && passwordOk ? 'disabled' : 'wrong_password');
    throw new AppError('INVALID_CREDENTIALS');
  }

  const methods = await secondFactorMethodsOf(db, user);
  if (methods.length === 0) return finishLogin(env, user, 'password', meta);

  const challenge = randomToken(24);
  const expiresAt = meta.nowMs + SECOND_FACTOR_TTL_MS;
  const data: { methods: SecondFactorMethod[]; smsChallengeId?: string } = { methods };
  if (methods[0] === 'sms') {
    // The SMS goes out now; if it cannot be sent the caller hears so (MESSAGE_NOT_SENT) and nothing is half-done.
    const issued = await issueCode(env, {
      purpose: 'login-sms',
      userId: user.id,
      channel: 'sms',
      target: user.sms_phone!,
      language: user.language,
      name: user.first_name || user.login,
      ip: meta.ip,
      nowMs: meta.nowMs,
    });
    data.smsChallengeId = issued.challengeId;
  }
  await db.batch([
    clearLoginFailuresStatement(db, login),
    db
      .prepare(
        `INSERT INTO challenges (id, purpose, user_id, max_attempts, data, ip, created_at, expires_at)
         VALUES (?, 'login-second-factor', ?, ?, ?, ?, ?, ?)`,
      )
      .bind(await sha256Hex(challenge), user.id, CODE_MAX_ATTEMPTS, JSON.stringify(data), meta.ip, meta.nowMs, expiresAt),
  ]);
  return { state: 'second_factor', challenge, methods, expiresAt };
}

export async function completeSecondFactor(env: Env, challenge: string, code: string, meta: RequestMeta): Promise<LoginStep> {
  const db = env.DB;
  const challengeId = await sha256Hex(challenge);
  // One attempt is claimed before the code is looked at, in the statement that checks the challenge is still open
  // and under its limit: reading `attempts`, checking, then counting let 50 parallel guesses through a limit of 5.
  const claimed = await db
    .prepare(
      `UPDATE challenges SET attempts = attempts + 1
       WHERE id = ? AND purpose = 'login-second-factor' AND consumed_at IS NULL AND expires_at > ? AND attempts < max_attempts
       RETURNING user_id, data`,
    )
    .bind(challengeId, meta.nowMs)
    .first<{ user_id: string; data: string }>();
  const user = claimed ? await db.prepare(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ?`).bind(claimed.user_id).first<UserForLogin>() : null;
  if (!claimed || !user?.enabled) throw new AppError('CODE_EXPIRED', 'The sign-in has expired. Start again.');
  const data = JSON.parse(claimed.data) as { methods: SecondFactorMethod[]; smsChallengeId?: string };

  const verdict = data.methods[0] === 'sms' ? await checkSmsCode(env, data.smsChallengeId, code, meta) : await checkOwnTokens(env, user.id, code, meta);
  if (verdict === 'ok') {
    // The challenge is single use: only the request that flips consumed_at goes on.
    const consumed = await db.prepare('UPDATE challenges SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL').bind(meta.nowMs, challengeId).run();
    if (consumed.meta.changes !== 1) throw new AppError('CODE_EXPIRED', 'The sign-in has expired. Start again.');
    return finishLogin(env, user, data.methods[0] === 'sms' ? 'password+sms' : 'password+otp', meta);
  }
  await logAttempt(env, user, user.login, meta, verdict.toLowerCase());
  throw new AppError(verdict);
}

async function checkOwnTokens(env: Env, userId: string, otp: string, meta: RequestMeta): Promise<'ok' | 'OTP_INVALID' | 'TOKEN_LOCKED'> {
  const { results: tokens } = await env.DB.prepare(
    `SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens WHERE owner_user_id = ? AND type IN ('TOTP','HOTP') AND activated = 1 AND enabled = 1`,
  )
    .bind(userId)
    .all<TokenRecord>();
  let locked = false;
  for (const token of tokens) {
    const verdict = await verifyTokenOtp(env.DB, verifyKeysOf(env), token, otp, meta.nowMs);
    if (verdict.ok) return 'ok';
    if (verdict.reason === 'TOKEN_LOCKED') locked = true;
  }
  return locked ? 'TOKEN_LOCKED' : 'OTP_INVALID';
}

async function checkSmsCode(env: Env, smsChallengeId: string | undefined, code: string, meta: RequestMeta): Promise<'ok' | 'CODE_INVALID' | 'CODE_EXPIRED' | 'RATE_LIMITED'> {
  if (!smsChallengeId) return 'CODE_EXPIRED';
  const verdict = await verifyCode(env, { challengeId: smsChallengeId, code, nowMs: meta.nowMs, purpose: 'login-sms' });
  return verdict.ok ? 'ok' : verdict.reason;
}

async function finishLogin(env: Env, user: UserForLogin, method: string, meta: RequestMeta): Promise<LoginStep> {
  const db = env.DB;
  const { token, sessionId } = await mintSessionToken();
  await db.batch([
    sessionStatement(db, sessionId, { userId: user.id, kind: 'platform', method, ip: meta.ip, userAgent: meta.client, nowMs: meta.nowMs }),
    clearLoginFailuresStatement(db, user.login),
    activityStatement(db, { type: 'UserLogin', userId: user.id, login: user.login, channel: 'login', ip: meta.ip, client: meta.client, detail: { method }, nowMs: meta.nowMs }),
  ]);
  return { state: 'signed_in', sessionToken: token, sessionId, userId: user.id };
}

/**
 * The second factor a user must give: their own OTP token when they have one; otherwise the SMS code when the
 * platform offers 2FA, the user activated it on a confirmed number, and none of their workspaces disabled it.
 */
async function secondFactorMethodsOf(db: D1Database, user: UserForLogin): Promise<SecondFactorMethod[]> {
  const token = await db
    .prepare(`SELECT 1 FROM tokens WHERE owner_user_id = ? AND type IN ('TOTP','HOTP') AND activated = 1 AND enabled = 1 LIMIT 1`)
    .bind(user.id)
    .first();
  if (token) return ['otp'];
  if (user.sms_two_factor_active && user.sms_phone_verified && user.sms_phone && (await isTwoFactorEnabled(db))) {
    if ((await officesForbiddingTwoFactor(db, user.id)).length === 0) return ['sms'];
  }
  return [];
}

function attemptStatement(env: Env, user: UserForLogin | null, login: string, meta: RequestMeta, reason: string) {
  return activityStatement(env.DB, {
    type: 'UserLoginAttempt',
    userId: user?.id ?? null,
    login,
    channel: 'login',
    ip: meta.ip,
    client: meta.client,
    detail: { reason },
    nowMs: meta.nowMs,
  });
}

async function logAttempt(env: Env, user: UserForLogin | null, login: string, meta: RequestMeta, reason: string) {
  await attemptStatement(env, user, login, meta, reason).run();
}
