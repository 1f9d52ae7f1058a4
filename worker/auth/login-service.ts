/**
 * Platform sign-in at /login as a small state machine:
 *   password  --(no second factor)-->  signed in
 *   password  --(second factor)----->  awaiting second factor  --(passkey, OTP, recovery code or sent code)-->  signed in
 *   passkey (discoverable, user verified)  ------------------------------------------------------------>  signed in
 * The state between the steps is a `challenges` row referenced by an unguessable handle the client holds; it is
 * bound to the user, expires, and allows a few attempts only: a passkey assertion claims one like a typed code.
 *
 * The second factor is one of the user's own tokens /login accepts (tokens/accepted-tokens.ts), by strength
 * (step-up.ts tokensAskedAtLogin): any of their passkeys, app tokens' OTPs and recovery codes; when they have none of
 * those, a code sent to their SMS/EMAIL token's destination (the answer says where, masked), checked with the
 * token's PIN as everywhere else; a user without a token may have the SMS 2FA number.
 *
 * Passwordless: a discoverable passkey with user verification proves both factors (something held, and the PIN or
 * biometric that unlocked it); its session counts as freshly proven for step-up (method 'passkey').
 */
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { CODE_MAX_ATTEMPTS, PASSKEY_SIGNIN_STARTS_PER_IP, SIGNIN_ATTEMPTS_PER_IP, SIGNIN_WINDOW_MS } from '../constants';
import { activityStatement } from '../activities/repo';
import type { Env } from '../env';
import { AppError } from '../errors';
import { dummyPasswordHash, randomToken, sha256Hex, verifyPassword } from '../lib/crypto';
import { fillMissingIdentityKeys, lookupKeyOf } from '../lib/identity';
import { consumeRateLimit } from '../lib/rate-limit';
import { issueCode, verifyCode } from '../messaging/codes';
import { ipRateKey } from '../messaging/limits';
import { verifyTokenOtp, type TokenRecord } from '../tokens/verification';
import { startPasskeyAuthentication, verifyPasskeyAuthentication } from '../passkeys/ceremonies';
import type { RelyingParty } from '../passkeys/relying-party';
import { isTwoFactorEnabled } from '../settings/platform';
import { officesForbiddingTwoFactor } from '../settings/repo';
import { tokensAcceptedAtLogin, tokensForTypedCode } from '../tokens/accepted-tokens';
import { channelOf, checkTokenCode, isMessageToken, maskDestination, sendTokenCode } from '../tokens/message-tokens';
import { parseRecoveryCode } from '../tokens/recovery-code-format';
import { readTokenRecord } from '../tokens/repo';
import { verifyKeysOf } from '../tokens/service';
import { claimPasswordAttempt, clearLoginFailuresStatement } from './login-lock';
import {
  claimSecondFactorAttempt,
  consumeChallenge,
  findLoginUserById,
  findLoginUserByKey,
  findOpenSecondFactor,
  insertSecondFactorStatement,
  type LoginUser,
} from './repo';
import { mintSessionToken, sessionStatement } from './sessions';
import { tokensAskedAtLogin } from './step-up';

const SECOND_FACTOR_TTL_MS = 5 * 60 * 1000;

/** The purpose of the codes /login sends to SMS/EMAIL tokens: its own cooldown, and no other flow's code answers it. */
export const LOGIN_TOKEN_PURPOSE = 'login-token';

export interface RequestMeta {
  ip: string;
  client: string;
  nowMs: number;
}

/**
 * passkey: one of the user's passkeys; otp: an app token's OTP; recovery_code: a code of the user's recovery code set;
 * code: the code sent to an SMS/EMAIL token; sms: the code sent to the SMS 2FA number.
 */
export type SecondFactorMethod = 'passkey' | 'otp' | 'recovery_code' | 'code' | 'sms';

/** Where the `code` method's code went, masked as in the token views. */
export interface CodeDelivery {
  channel: 'sms' | 'email';
  to: string;
}

export type LoginStep =
  | { state: 'signed_in'; sessionToken: string; sessionId: string; userId: string }
  | { state: 'second_factor'; challenge: string; methods: SecondFactorMethod[]; delivery?: CodeDelivery; expiresAt: number };

/** The second-factor step's state, kept in its challenge row. */
interface SecondFactorData {
  methods: SecondFactorMethod[];
  smsChallengeId?: string;
  /** `code`: the token the code went to, and that code's challenge. */
  tokenId?: string;
  tokenChallengeId?: string;
}

export async function startPasswordLogin(env: Env, login: string, password: string, meta: RequestMeta): Promise<LoginStep> {
  const db = env.DB;
  // By ipRateKey, as every per-IP limit: an IPv6 client by its /64, or each of its 2^64 addresses had a budget.
  const ipLimit = await consumeRateLimit(db, `signin-ip:${ipRateKey(meta.ip)}`, SIGNIN_ATTEMPTS_PER_IP, SIGNIN_WINDOW_MS, meta.nowMs);
  if (!ipLimit.allowed) throw new AppError('RATE_LIMITED');

  // The attempt is claimed before the password is looked at: a refused claim means no PBKDF2 against the real
  // hash, so a parallel burst gets at most LOGIN_MAX_FAILS evaluations and the right password after it is locked too.
  const claim = await claimPasswordAttempt(db, login, meta.nowMs);
  const user = await findUserByLogin(db, login);
  if (!claim.allowed) {
    await logAttempt(env, user, login, meta, 'locked');
    throw new AppError('ACCOUNT_LOCKED', undefined, { lockedUntil: claim.lockedUntil });
  }
  // Always run one PBKDF2 verification, against a dummy hash when there is nothing to check: the answer and its
  // timing are the same for unknown logins, users without a password and wrong passwords.
  const passwordOk = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !user.passwordHash || !passwordOk || !user.enabled) {
    await logAttempt(env, user, login, meta, user && !user.enabled && passwordOk ? 'disabled' : 'wrong_password');
    throw new AppError('INVALID_CREDENTIALS');
  }

  const { methods, codeToken } = await secondFactorOf(db, user);
  if (methods.length === 0) return finishLogin(env, user, 'password', meta);

  const challenge = randomToken(24);
  const expiresAt = meta.nowMs + SECOND_FACTOR_TTL_MS;
  const data: SecondFactorData = { methods };
  let delivery: CodeDelivery | undefined;
  const sending = { language: user.language, name: user.firstName || user.login, ip: meta.ip, nowMs: meta.nowMs };
  // The code goes out now; if it cannot be sent the caller hears so (RATE_LIMITED, MESSAGE_NOT_SENT) and nothing
  // is half-done. Only a user past the password gets this far, so the answer tells a guesser nothing.
  if (codeToken) {
    const issued = await sendTokenCode(env, codeToken, { ...sending, purpose: LOGIN_TOKEN_PURPOSE });
    data.tokenId = codeToken.id;
    data.tokenChallengeId = issued.challengeId;
    delivery = { channel: issued.channel, to: maskDestination(issued.target)! };
  } else if (methods[0] === 'sms') {
    const issued = await issueCode(env, { ...sending, purpose: 'login-sms', userId: user.id, channel: 'sms', target: user.smsPhone! });
    data.smsChallengeId = issued.challengeId;
  }
  await db.batch([
    clearLoginFailuresStatement(db, login),
    insertSecondFactorStatement(db, { id: await sha256Hex(challenge), userId: user.id, maxAttempts: CODE_MAX_ATTEMPTS, data: JSON.stringify(data), ip: meta.ip, nowMs: meta.nowMs, expiresAt }),
  ]);
  return { state: 'second_factor', challenge, methods, ...(delivery ? { delivery } : {}), expiresAt };
}

/**
 * The user a login names, by its identity key (worker/lib/identity.ts: the one normalisation of every sign-in
 * path). A login carrying an invisible or ambiguous character (a no-break space, a BOM...) is nobody's.
 */
async function findUserByLogin(db: D1Database, login: string): Promise<LoginUser | null> {
  const key = lookupKeyOf(login);
  if (key === null) return null;
  // Keys outside printable ASCII are filled by the Worker; with none missing this is one indexed read.
  await fillMissingIdentityKeys(db);
  return findLoginUserByKey(db, key);
}

const signInExpired = () => new AppError('CODE_EXPIRED', 'The sign-in has expired. Start again.');

/**
 * One attempt of the second-factor step is claimed before anything the client sent is looked at, in the statement
 * that checks the challenge is still open and under its limit: reading `attempts`, checking, then counting let 50
 * parallel guesses through a limit of 5.
 */
async function claimAttemptOfStep(db: D1Database, challengeId: string, nowMs: number): Promise<{ user: LoginUser; data: SecondFactorData }> {
  const claimed = await claimSecondFactorAttempt(db, challengeId, nowMs);
  const user = claimed?.userId ? await findLoginUserById(db, claimed.userId) : null;
  if (!claimed || !user?.enabled) throw signInExpired();
  return { user, data: JSON.parse(claimed.data) as SecondFactorData };
}

/** The challenge is single use: only the request that flips consumed_at signs in. */
async function finishSecondFactor(env: Env, challengeId: string, user: LoginUser, method: string, meta: RequestMeta): Promise<LoginStep> {
  if (!(await consumeChallenge(env.DB, challengeId, meta.nowMs))) throw signInExpired();
  return finishLogin(env, user, method, meta);
}

export async function completeSecondFactor(env: Env, challenge: string, code: string, meta: RequestMeta): Promise<LoginStep> {
  const challengeId = await sha256Hex(challenge);
  const { user, data } = await claimAttemptOfStep(env.DB, challengeId, meta.nowMs);
  // A recovery code is taken beside whichever factor the step asks (secondFactorOf).
  const typedRecoveryCode = data.methods.includes('recovery_code') && parseRecoveryCode(code) !== null;
  const verdict = typedRecoveryCode
    ? await checkOwnTokens(env, user.id, code, meta)
    : data.methods.includes('sms')
    ? await checkSmsCode(env, data.smsChallengeId, code, meta)
    : data.methods.includes('code')
      ? await checkSentTokenCode(env, user.id, data, code, meta)
      : await checkOwnTokens(env, user.id, code, meta);
  if (typeof verdict === 'object') return finishSecondFactor(env, challengeId, user, verdict.method, meta);
  await logAttempt(env, user, user.login, meta, verdict.toLowerCase());
  throw new AppError(verdict);
}

/** What the /login challenge's passkey ceremony is bound to: that challenge alone. */
const secondFactorBinding = (challengeId: string) => `login:${challengeId}`;

/** The user's passkeys /login accepts (enabled, activated, their own). */
async function loginPasskeyIdsOf(db: D1Database, userId: string): Promise<string[]> {
  return (await tokensAcceptedAtLogin(db, userId)).filter((token) => token.type === 'PASSKEY').map((token) => token.id);
}

/** Options for the passkey of the second-factor step (only the user's own passkeys are allowed). */
export async function startSecondFactorPasskey(env: Env, rp: RelyingParty, challenge: string, nowMs: number): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const challengeId = await sha256Hex(challenge);
  const open = await findOpenSecondFactor(env.DB, challengeId, nowMs);
  if (!open?.userId || !(JSON.parse(open.data) as SecondFactorData).methods.includes('passkey')) throw signInExpired();
  const tokenIds = await loginPasskeyIdsOf(env.DB, open.userId);
  return startPasskeyAuthentication(env, rp, { tokenIds, boundTo: secondFactorBinding(challengeId), userVerification: 'preferred', nowMs });
}

/** The passkey as the second factor: claims an attempt of the step first, like a typed code. */
export async function completeSecondFactorPasskey(env: Env, rp: RelyingParty, challenge: string, credential: AuthenticationResponseJSON, meta: RequestMeta): Promise<LoginStep> {
  const challengeId = await sha256Hex(challenge);
  const { user, data } = await claimAttemptOfStep(env.DB, challengeId, meta.nowMs);
  if (!data.methods.includes('passkey')) throw signInExpired();
  const verdict = await verifyPasskeyAuthentication(env, rp, {
    boundTo: secondFactorBinding(challengeId),
    credential,
    acceptTokenIds: await loginPasskeyIdsOf(env.DB, user.id),
    requireUserVerification: false,
    nowMs: meta.nowMs,
  });
  if (verdict.ok) return finishSecondFactor(env, challengeId, user, 'password+passkey', meta);
  await logAttempt(env, user, user.login, meta, verdict.reason.toLowerCase());
  throw new AppError(verdict.reason);
}

/** The passwordless flow's handle is what its passkey challenge is bound to; the server keeps only its hash. */
const passwordlessBinding = async (flow: string) => `passwordless:${await sha256Hex(flow)}`;

/**
 * Starts "Sign in with a passkey": any discoverable credential of this RP, user verification required. Rate
 * limited per IP like /login: each start stores a challenge.
 */
export async function startPasswordlessPasskey(env: Env, rp: RelyingParty, meta: RequestMeta): Promise<{ flow: string; options: PublicKeyCredentialRequestOptionsJSON }> {
  const ipLimit = await consumeRateLimit(env.DB, `passkey-signin-ip:${ipRateKey(meta.ip)}`, PASSKEY_SIGNIN_STARTS_PER_IP, SIGNIN_WINDOW_MS, meta.nowMs);
  if (!ipLimit.allowed) throw new AppError('RATE_LIMITED');
  const flow = randomToken(24);
  const options = await startPasskeyAuthentication(env, rp, { tokenIds: null, boundTo: await passwordlessBinding(flow), userVerification: 'required', nowMs: meta.nowMs });
  return { flow, options };
}

/** Completes it: the passkey (verified by its user) names the user; a disabled account is refused like at /login. */
export async function completePasswordlessPasskey(env: Env, rp: RelyingParty, flow: string, credential: AuthenticationResponseJSON, meta: RequestMeta): Promise<LoginStep> {
  const verdict = await verifyPasskeyAuthentication(env, rp, {
    boundTo: await passwordlessBinding(flow),
    credential,
    acceptTokenIds: null,
    requireUserVerification: true,
    nowMs: meta.nowMs,
  });
  const user = verdict.userId ? await findLoginUserById(env.DB, verdict.userId) : null;
  if (verdict.ok && user?.enabled) return finishLogin(env, user, 'passkey', meta);
  // A disabled account is logged as such (as at the password step) and answered like any refused passkey.
  await logAttempt(env, user, user?.login ?? '', meta, verdict.ok ? 'disabled' : verdict.reason.toLowerCase());
  throw new AppError(verdict.ok ? 'PASSKEY_INVALID' : verdict.reason);
}

/** A passed second factor names the session's method (sessions.ts reads "+" as "second factor proven"). */
type Passed = { method: string };

/** A typed code: a recovery code to the user's recovery code sets, anything else to their app tokens. */
async function checkOwnTokens(env: Env, userId: string, otp: string, meta: RequestMeta): Promise<Passed | 'OTP_INVALID' | 'TOKEN_LOCKED'> {
  const tokens = tokensForTypedCode(await tokensAcceptedAtLogin(env.DB, userId), otp).filter((token) => !isMessageToken(token.type));
  let locked = false;
  for (const token of tokens) {
    const verdict = await verifyTokenOtp(env.DB, verifyKeysOf(env), token, otp, meta.nowMs, { via: { channel: 'login', ip: meta.ip, client: meta.client } });
    if (verdict.ok) return { method: token.type === 'RECOVERY_CODES' ? 'password+recovery-code' : 'password+otp' };
    if (verdict.reason === 'TOKEN_LOCKED') locked = true;
  }
  return locked ? 'TOKEN_LOCKED' : 'OTP_INVALID';
}

/**
 * The code sent to the user's SMS/EMAIL token (with its PIN where set), checked as every token code is
 * (checkTokenCode): the token's state first, the code's attempt claimed by verifyCode's conditional UPDATE, a
 * failure counted on the token. The token must still be the user's own.
 */
async function checkSentTokenCode(env: Env, userId: string, data: SecondFactorData, code: string, meta: RequestMeta): Promise<Passed | 'OTP_INVALID' | 'TOKEN_LOCKED'> {
  const token = data.tokenId ? await readTokenRecord(env.DB, data.tokenId) : null;
  if (!token || token.owner_user_id !== userId || !isMessageToken(token.type)) return 'OTP_INVALID';
  const verdict = await checkTokenCode(env, token, data.tokenChallengeId ?? null, code, { purpose: LOGIN_TOKEN_PURPOSE, nowMs: meta.nowMs });
  if (verdict.ok) return { method: `password+${channelOf(token.type)}` };
  return verdict.reason === 'TOKEN_LOCKED' ? 'TOKEN_LOCKED' : 'OTP_INVALID';
}

async function checkSmsCode(env: Env, smsChallengeId: string | undefined, code: string, meta: RequestMeta): Promise<Passed | 'CODE_INVALID' | 'CODE_EXPIRED' | 'RATE_LIMITED'> {
  if (!smsChallengeId) return 'CODE_EXPIRED';
  const verdict = await verifyCode(env, { challengeId: smsChallengeId, code, nowMs: meta.nowMs, purpose: 'login-sms' });
  return verdict.ok ? { method: 'password+sms' } : verdict.reason;
}

async function finishLogin(env: Env, user: LoginUser, method: string, meta: RequestMeta): Promise<LoginStep> {
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
 * The second factor a user must give (step-up.ts tokensAskedAtLogin): each leading factor they have (passkey, app
 * OTP); else a code sent to their first SMS/EMAIL token (any token is asked for: the password alone must not pass
 * where the verify API wants the token); otherwise the SMS code when the platform offers 2FA, the user activated
 * it on a confirmed number, and none of their workspaces disabled it. A recovery code is accepted beside each.
 */
async function secondFactorOf(db: D1Database, user: LoginUser): Promise<{ methods: SecondFactorMethod[]; codeToken?: TokenRecord }> {
  const tokens = tokensAskedAtLogin(await tokensAcceptedAtLogin(db, user.id));
  const recovery: SecondFactorMethod[] = tokens.some((token) => token.type === 'RECOVERY_CODES') ? ['recovery_code'] : [];
  const leading = LEADING_METHODS.filter(([, types]) => tokens.some((token) => types.includes(token.type))).map(([method]) => method);
  if (leading.length > 0) return { methods: [...leading, ...recovery] };
  const codeToken = tokens.find((token) => token.destination);
  if (codeToken) return { methods: ['code', ...recovery], codeToken };
  if (user.smsTwoFactorActive && user.smsPhoneVerified && user.smsPhone && (await isTwoFactorEnabled(db))) {
    if ((await officesForbiddingTwoFactor(db, user.id)).length === 0) return { methods: ['sms', ...recovery] };
  }
  return { methods: recovery };
}

/** The leading methods, in the order the sign-in page offers them, and the token types behind each. */
const LEADING_METHODS: [SecondFactorMethod, TokenRecord['type'][]][] = [
  ['passkey', ['PASSKEY']],
  ['otp', ['TOTP', 'HOTP']],
];

function attemptStatement(env: Env, user: LoginUser | null, login: string, meta: RequestMeta, reason: string) {
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

async function logAttempt(env: Env, user: LoginUser | null, login: string, meta: RequestMeta, reason: string) {
  await attemptStatement(env, user, login, meta, reason).run();
}
