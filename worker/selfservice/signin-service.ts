/**
 * Portal sign-in as a state machine held in a `challenges` row (purpose "portal-signin"):
 *
 *   start(login) -> password                        (the same first answer for every login, with the option
 *                                                    "no password? get a sign-in code by email")
 *   password --requestEmailCode--> email_code      (sent only to an assigned, enabled user without a password who
 *                                                    has an email address; the answer is the same for everyone)
 *   password / email_code -> otp | signed_in        (the OTP when the user has a token this resource's
 *                                                    verification accepts, whatever the assignment kind)
 *   otp -> signed_in                               (a typed OTP or recovery code, or a passkey ceremony when one of
 *                                                    those tokens is a passkey: the answer then says `passkey: true`)
 *   otp --requestTokenCode--> otp                  (SMS/EMAIL tokens: a new code to the token's destination)
 *
 * With an SMS or EMAIL token the otp step sends a code to the token's destination after the response (the first
 * code) or on request (a new one), and the answer says where it went (masked). Only a user who passed the first
 * factor reaches the otp step, so this tells nothing to someone guessing logins or passwords.
 *
 * Unknown logins, disabled users, users not assigned to this resource, users with a password who ask for a code
 * and users without an email walk through a phantom flow that looks the same (same steps, same errors, same limits,
 * the same PBKDF2 work, the same statements before each answer) and can never succeed: no user enumeration. Which
 * users actually get a code is decided only after the response (code-requests.ts).
 *
 * Every guess claims its attempt before it is examined: the flow's attempt in the conditional UPDATE that also
 * checks the flow is open, at this step and under its limit (claimFlowAttempt), and a password also the login's
 * lock (claimPasswordAttempt). Reading the counters, checking, then counting let parallel guesses through.
 */
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { CODE_MAX_ATTEMPTS, PORTAL_SESSION_TTL_MS, SIGNIN_ATTEMPTS_PER_IP, SIGNIN_WINDOW_MS } from '../constants';
import { activityStatement } from '../activities/repo';
import { claimPasswordAttempt, clearLoginFailuresStatement } from '../auth/login-lock';
import { consumeChallenge } from '../auth/repo';
import { mintSessionToken, sessionStatement } from '../auth/sessions';
import type { Env } from '../env';
import { AppError } from '../errors';
import { dummyPasswordHash, randomToken, sha256Hex, verifyPassword } from '../lib/crypto';
import { fillMissingIdentityKeys, lookupKeyOf } from '../lib/identity';
import { consumeRateLimit } from '../lib/rate-limit';
import { verifyCode } from '../messaging/codes';
import { ipRateKey } from '../messaging/limits';
import { verifyTokenOtp, type TokenRecord, type VerifyResult } from '../tokens/verification';
import { startPasskeyAuthentication, verifyPasskeyAuthentication } from '../passkeys/ceremonies';
import type { RelyingParty } from '../passkeys/relying-party';
import { tokensAcceptedAt, tokensForTypedCode } from '../tokens/accepted-tokens';
import { channelOf, checkTokenCode, isMessageToken, maskDestination, sendTokenCode } from '../tokens/message-tokens';
import { verifyKeysOf } from '../tokens/service';
import { deferStart, prepareAnonymousCode, sendAnonymousCode, type Defer } from './code-requests';
import { recordEnvironmentStatements } from './environment-repo';
import type { SignInEnvironment } from './environment';
import type { Portal } from './portal';
import {
  advanceFlowStatement,
  claimFlowAttemptRow,
  deleteOpenIssueStatement,
  findOpenFlow,
  findPortalUserRow,
  insertFlow,
  moveFlow,
  updateFlowData,
  type PortalUserRow,
} from './repo';

const FLOW_TTL_MS = 10 * 60 * 1000;

export type PortalStep = 'password' | 'email_code' | 'otp';

interface FlowData {
  resourceId: string;
  login: string;
  userId: string | null;
  step: PortalStep;
  emailChallengeId?: string;
  /** When the emailed code runs out: kept in the flow so expiry answers alike whether a code was sent or not. */
  emailCodeExpiresAtMs?: number;
  /** SMS/EMAIL token at the otp step: the token the last code went to, and that code's challenge. */
  messageTokenId?: string;
  tokenChallengeId?: string;
  delivery?: TokenCodeDelivery;
  /** At the otp step: one of the tokens this resource accepts is a passkey, so its ceremony may answer the step. */
  passkey?: boolean;
}

/** Where an SMS/EMAIL token's code went, masked. */
export interface TokenCodeDelivery {
  channel: 'sms' | 'email';
  to: string;
}

/** The purpose of codes sent to an SMS/EMAIL token at portal sign-in. */
export const SIGNIN_TOKEN_PURPOSE = 'portal-signin-token';

export type PortalSignInResult =
  /** emailCodeOption: the password step also offers "get a sign-in code by email" (always, for every login). */
  /** passkey: at the otp step, the passkey ceremony (startPortalPasskey) may answer it instead of a typed code. */
  | { state: 'continue'; flow: string; step: PortalStep; emailCodeOption: boolean; delivery?: TokenCodeDelivery; passkey?: true }
  | { state: 'signed_in'; sessionToken: string; sessionId: string; userId: string; environmentScore: number | null };

export interface PortalRequestMeta {
  ip: string;
  client: string;
  nowMs: number;
  environment: SignInEnvironment;
}

async function findPortalUser(db: D1Database, resourceId: string, login: string): Promise<PortalUserRow | null> {
  // By identity key, as every sign-in path finds users (lib/identity.ts); a login with an invisible character is nobody's.
  const key = lookupKeyOf(login);
  if (key === null) return null;
  await fillMissingIdentityKeys(db);
  const user = await findPortalUserRow(db, resourceId, key);
  // Users must be assigned to the resource to use its portal.
  return user && user.enabled && user.assignmentKind ? user : null;
}

/**
 * The flow's user, looked up for every flow: a phantom (no user at the start) runs the same query and gets null,
 * so the answer's timing does not tell it from a real one (the query used to run only for real users). Only the
 * user found at the start counts: a phantom stays one even if the login is created or assigned meanwhile.
 */
async function userOfFlow(db: D1Database, portal: Portal, data: FlowData): Promise<PortalUserRow | null> {
  const user = await findPortalUser(db, portal.resourceId, data.login);
  return user && user.id === data.userId ? user : null;
}

export async function startPortalSignIn(env: Env, portal: Portal, login: string, meta: PortalRequestMeta): Promise<PortalSignInResult> {
  // The same per-client budget as /login (login-service.ts), an IPv6 client counted by its /64.
  const limit = await consumeRateLimit(env.DB, `signin-ip:${ipRateKey(meta.ip)}`, SIGNIN_ATTEMPTS_PER_IP, SIGNIN_WINDOW_MS, meta.nowMs);
  if (!limit.allowed) throw new AppError('RATE_LIMITED');
  // The user is looked up for every login (the same query either way), but nothing about them shapes the answer:
  // whether they have a password, an email or a token shows only by what reaches them.
  const user = await findPortalUser(env.DB, portal.resourceId, login);
  const data: FlowData = { resourceId: portal.resourceId, login, userId: user?.id ?? null, step: 'password' };
  const flow = randomToken(24);
  await insertFlow(env.DB, { id: await sha256Hex(flow), userId: data.userId, maxAttempts: CODE_MAX_ATTEMPTS, data: JSON.stringify(data), ip: meta.ip, nowMs: meta.nowMs, expiresAt: meta.nowMs + FLOW_TTL_MS });
  return continueWith(flow, data.step);
}

const continueWith = (flow: string, step: PortalStep, offer: Pick<FlowData, 'delivery' | 'passkey'> = {}): PortalSignInResult => ({
  state: 'continue',
  flow,
  step,
  emailCodeOption: step === 'password',
  ...(offer.delivery ? { delivery: offer.delivery } : {}),
  ...(offer.passkey ? { passkey: true } : {}),
});

const flowExpired = () => new AppError('CODE_EXPIRED', 'The sign-in has expired. Start again.');

/** The flow for a step that examines no secret (asking for a code): nothing is counted. */
async function loadFlow(db: D1Database, portal: Portal, flow: string, step: PortalStep | PortalStep[], nowMs: number) {
  const id = await sha256Hex(flow);
  const row = await findOpenFlow(db, id, nowMs);
  const data = row ? (JSON.parse(row.data) as FlowData) : null;
  if (!row || !data || row.attempts >= row.maxAttempts || data.resourceId !== portal.resourceId) throw flowExpired();
  if (!(Array.isArray(step) ? step : [step]).includes(data.step)) throw new AppError('SIGNIN_WRONG_STEP', undefined, { step: data.step });
  return { id, data };
}

/**
 * The flow for a step that examines a secret: one attempt is claimed in the statement that checks the flow is open,
 * for this portal, at this step and under its limit, so N parallel guesses get at most max_attempts examinations.
 * A refused claim is explained by loadFlow (expired, or another step) and counts nothing.
 */
async function claimFlowAttempt(db: D1Database, portal: Portal, flow: string, step: PortalStep, nowMs: number) {
  const id = await sha256Hex(flow);
  const claimed = await claimFlowAttemptRow(db, { id, step, resourceId: portal.resourceId, nowMs });
  if (claimed === null) {
    await loadFlow(db, portal, flow, step, nowMs);
    throw flowExpired();
  }
  return { id, data: JSON.parse(claimed) as FlowData };
}

export async function submitPortalPassword(env: Env, portal: Portal, flow: string, password: string, meta: PortalRequestMeta, defer: Defer): Promise<PortalSignInResult> {
  const { id, data } = await claimFlowAttempt(env.DB, portal, flow, 'password', meta.nowMs);
  const user = await userOfFlow(env.DB, portal, data);
  // Claimed before the password is looked at (see login-lock.ts): a locked login gets no PBKDF2 at all.
  const claim = await claimPasswordAttempt(env.DB, data.login, meta.nowMs);
  if (!claim.allowed) {
    await failureStatement(env, data, meta, 'locked').run();
    throw new AppError('ACCOUNT_LOCKED');
  }
  const passwordOk = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !user.passwordHash || !passwordOk) {
    await failureStatement(env, data, meta, 'wrong_password').run();
    throw new AppError('INVALID_CREDENTIALS');
  }
  return afterFirstFactor(env, portal, flow, id, data, user, meta, defer);
}

/**
 * "No password? Get a sign-in code by email" (also "send a new code"): the same answer for every login, and the
 * same limits (keyed by the login and the IP, not by a real recipient), so neither the answer nor a 429 tells
 * whether a code went out. It goes out only to an assigned, enabled user without a password who has an email.
 */
export async function requestPortalEmailCode(env: Env, portal: Portal, flow: string, meta: PortalRequestMeta, defer: Defer): Promise<PortalSignInResult> {
  const { id, data } = await loadFlow(env.DB, portal, flow, ['password', 'email_code'], meta.nowMs);
  const prepared = await prepareAnonymousCode(env, { purpose: 'portal-signin', resourceId: portal.resourceId, login: data.login, ip: meta.ip, nowMs: meta.nowMs });
  const user = await userOfFlow(env.DB, portal, data);
  // Every flow moves on alike; a phantom's challengeId has no code behind it, so any code is "wrong".
  // The flow's attempt count carries over: asking for a new code does not buy new guesses.
  const next: FlowData = { ...data, step: 'email_code', emailChallengeId: prepared.challengeId, emailCodeExpiresAtMs: prepared.expiresAtMs };
  // Conditional on the step read above: a flow that moved on meanwhile (a right password) is not sent back.
  if (!(await moveFlow(env.DB, id, data.step, JSON.stringify(next)))) throw flowExpired();
  // Handed over after the last statement above: a real recipient's answer must not wait on the send (a timing signal).
  if (user && !user.passwordHash && user.email) {
    sendAnonymousCode(env, defer, prepared, {
      purpose: 'portal-signin',
      userId: user.id,
      target: user.email,
      language: user.language,
      name: user.firstName || user.login,
      nowMs: meta.nowMs,
    });
  }
  return continueWith(flow, 'email_code');
}

export async function submitPortalEmailCode(env: Env, portal: Portal, flow: string, code: string, meta: PortalRequestMeta, defer: Defer): Promise<PortalSignInResult> {
  const { id, data } = await claimFlowAttempt(env.DB, portal, flow, 'email_code', meta.nowMs);
  const user = await userOfFlow(env.DB, portal, data);
  // Expiry by the flow's own clock, so a sent and an unsent code run out alike.
  const expired = !data.emailCodeExpiresAtMs || meta.nowMs >= data.emailCodeExpiresAtMs;
  // A phantom's challenge has no row: explaining the refusal would cost it a read that a real flow's wrong code does not.
  const verdict = !expired && data.emailChallengeId ? await verifyCode(env, { challengeId: data.emailChallengeId, code, nowMs: meta.nowMs, purpose: 'portal-signin', explainRefusal: false }) : null;
  // Only the user the code was sent to (still assigned, enabled and without a password) gets past this step.
  if (!user || user.passwordHash || !verdict?.ok || verdict.userId !== user.id) {
    await failureStatement(env, data, meta, 'wrong_email_code').run();
    throw new AppError(expired ? 'CODE_EXPIRED' : 'CODE_INVALID');
  }
  return afterFirstFactor(env, portal, flow, id, data, user, meta, defer);
}

export async function submitPortalOtp(env: Env, portal: Portal, flow: string, otp: string, meta: PortalRequestMeta): Promise<PortalSignInResult> {
  const { id, data } = await claimFlowAttempt(env.DB, portal, flow, 'otp', meta.nowMs);
  const user = await userOfFlow(env.DB, portal, data);
  // A recovery code goes to the recovery code set, anything else to the OTP and message tokens (never a passkey).
  const tokens = user ? tokensForTypedCode(await tokensAcceptedAt(env.DB, portal.resourceId, user.id), otp) : [];
  const failures: Exclude<VerifyResult, { ok: true }>[] = [];
  for (const token of tokens) {
    let verdict: VerifyResult;
    if (isMessageToken(token.type)) {
      // Only the token this flow sent a code to can be answered; the others are not being guessed at.
      if (token.id !== data.messageTokenId || !data.tokenChallengeId) continue;
      verdict = await checkTokenCode(env, token, data.tokenChallengeId, otp, { purpose: SIGNIN_TOKEN_PURPOSE, nowMs: meta.nowMs });
    } else {
      verdict = await verifyTokenOtp(env.DB, verifyKeysOf(env), token, otp, meta.nowMs, { via: { channel: 'portal', ip: meta.ip, client: meta.client } });
    }
    if (verdict.ok) return finish(env, portal, id, user!, signInMethodOf(token), meta);
    failures.push(verdict);
  }
  await failureStatement(env, data, meta, failures.at(-1)?.reason.toLowerCase() ?? 'wrong_otp').run();
  // "Locked" only when every token tried is: one locked token must not hide that another may still answer.
  const allLocked = failures.length > 0 && failures.every((failure) => failure.reason === 'TOKEN_LOCKED');
  throw new AppError(allLocked ? 'TOKEN_LOCKED' : 'OTP_INVALID');
}

/** The session's method after the otp step: which kind of token answered it (step-up.ts reads the sent-code ones). */
function signInMethodOf(token: TokenRecord): string {
  if (isMessageToken(token.type)) return `password+${token.type.toLowerCase()}`;
  if (token.type === 'RECOVERY_CODES') return 'password+recovery_code';
  return 'password+otp';
}

/** What a portal sign-in's passkey challenge is bound to: this flow, so no other flow or session can answer with it. */
const passkeyBindingOf = (flowId: string) => `portal-signin:${flowId}`;

/** The flow's user and the passkeys that answer its otp step: those among the tokens this resource accepts. */
async function flowPasskeys(db: D1Database, portal: Portal, data: FlowData): Promise<{ user: PortalUserRow | null; passkeys: TokenRecord[] }> {
  const user = await userOfFlow(db, portal, data);
  const tokens = user ? await tokensAcceptedAt(db, portal.resourceId, user.id) : [];
  return { user, passkeys: tokens.filter((token) => token.type === 'PASSKEY') };
}

/**
 * The otp step's passkey ceremony, first half: a challenge bound to this flow, for the passkeys this resource
 * accepts (issuing one voids the flow's earlier one). Only a user past the first factor is at the otp step, so
 * the answer tells nothing to someone guessing logins. Nothing secret is examined here: no attempt is claimed.
 */
export async function startPortalPasskey(env: Env, portal: Portal, rp: RelyingParty, flow: string, meta: PortalRequestMeta): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const { id, data } = await loadFlow(env.DB, portal, flow, 'otp', meta.nowMs);
  const { passkeys } = await flowPasskeys(env.DB, portal, data);
  if (passkeys.length === 0) throw new AppError('SIGNIN_NO_PASSKEY');
  return startPasskeyAuthentication(env, rp, { tokenIds: passkeys.map((token) => token.id), boundTo: passkeyBindingOf(id), userVerification: 'preferred', nowMs: meta.nowMs });
}

/**
 * The otp step answered by a passkey: the flow's attempt is claimed first like a typed OTP's, then the assertion
 * must answer this flow's challenge with one of the passkeys this resource accepts for the flow's user (another
 * user's passkey, or one of the user's that this resource does not take, is refused like a wrong OTP).
 */
export async function submitPortalPasskey(
  env: Env,
  portal: Portal,
  rp: RelyingParty,
  input: { flow: string; credential: AuthenticationResponseJSON },
  meta: PortalRequestMeta,
): Promise<PortalSignInResult> {
  const { id, data } = await claimFlowAttempt(env.DB, portal, input.flow, 'otp', meta.nowMs);
  const { user, passkeys } = await flowPasskeys(env.DB, portal, data);
  const verdict =
    passkeys.length > 0
      ? await verifyPasskeyAuthentication(env, rp, {
          boundTo: passkeyBindingOf(id),
          credential: input.credential,
          acceptTokenIds: passkeys.map((token) => token.id),
          // The password (or emailed code) was the first factor: the passkey is the second, presence is enough.
          requireUserVerification: false,
          nowMs: meta.nowMs,
        })
      : ({ ok: false, reason: 'PASSKEY_INVALID' } as const);
  if (user && verdict.ok && verdict.userId === user.id) return finish(env, portal, id, user, 'password+passkey', meta);
  const reason = verdict.ok ? 'PASSKEY_INVALID' : verdict.reason;
  await failureStatement(env, data, meta, reason.toLowerCase()).run();
  throw new AppError(reason);
}

/**
 * "Send a new code" at the otp step: to the SMS/EMAIL token the flow sent to (or the first one the user has here),
 * sent now (the user is past the first factor, so the limits' answers may show), and only the newest code counts.
 * The flow's attempts carry over.
 */
export async function requestPortalTokenCode(env: Env, portal: Portal, flow: string, meta: PortalRequestMeta): Promise<PortalSignInResult> {
  const { id, data } = await loadFlow(env.DB, portal, flow, 'otp', meta.nowMs);
  const user = await userOfFlow(env.DB, portal, data);
  const messageTokens = (user ? await tokensAcceptedAt(env.DB, portal.resourceId, user.id) : []).filter((token) => isMessageToken(token.type) && token.destination);
  const token = messageTokens.find((candidate) => candidate.id === data.messageTokenId) ?? messageTokens[0];
  if (!user || !token) throw new AppError('SIGNIN_NO_SENT_CODE');
  const issued = await sendTokenCode(env, token, { purpose: SIGNIN_TOKEN_PURPOSE, language: user.language, name: user.firstName || user.login, ip: meta.ip, nowMs: meta.nowMs });
  const next: FlowData = { ...data, ...messageTokenStep(token), tokenChallengeId: issued.challengeId };
  await updateFlowData(env.DB, id, JSON.stringify(next));
  return continueWith(flow, 'otp', next);
}

const messageTokenStep = (token: TokenRecord): Pick<FlowData, 'messageTokenId' | 'delivery'> => ({
  messageTokenId: token.id,
  delivery: { channel: channelOf(token.type as 'SMS' | 'EMAIL'), to: maskDestination(token.destination)! },
});

/**
 * The OTP is asked when the user has a token this resource's verification accepts (tokensAcceptedAt), whatever the
 * assignment kind. A code is sent (after the response) only when none of those tokens shows one by itself: with an
 * app token the user types its OTP, and "send a new code" still reaches an SMS/EMAIL token.
 */
async function afterFirstFactor(
  env: Env,
  portal: Portal,
  flow: string,
  flowId: string,
  data: FlowData,
  user: PortalUserRow,
  meta: PortalRequestMeta,
  defer: Defer,
): Promise<PortalSignInResult> {
  const tokens = await tokensAcceptedAt(env.DB, portal.resourceId, user.id);
  if (tokens.length === 0) return finish(env, portal, flowId, user, data.step === 'password' ? 'password' : 'email-code', meta);

  // A recovery code set is the way back in, not the factor the user signs in with every day: beside it, SMS/EMAIL
  // tokens still get their code at once.
  const dailyTokens = tokens.filter((token) => token.type !== 'RECOVERY_CODES');
  const codeToken = dailyTokens.length > 0 && dailyTokens.every((token) => isMessageToken(token.type)) ? dailyTokens.find((token) => token.destination) : undefined;
  const challengeId = codeToken ? randomToken(32) : undefined;
  const next: FlowData = {
    ...data,
    step: 'otp',
    ...(codeToken ? { ...messageTokenStep(codeToken), tokenChallengeId: challengeId } : {}),
    ...(tokens.some((token) => token.type === 'PASSKEY') ? { passkey: true } : {}),
  };
  const [moved] = await env.DB.batch([
    // Only the request that moves the flow on from this step resets its attempts: parallel right answers cannot
    // each hand the otp step a fresh set of guesses.
    advanceFlowStatement(env.DB, flowId, data.step, JSON.stringify(next)),
    clearLoginFailuresStatement(env.DB, data.login),
  ]);
  if (moved!.meta.changes !== 1) throw flowExpired();
  if (codeToken) {
    // The code goes out after the response, like every sign-in code; a refused or failed send is logged and the
    // user asks for a new one (requestPortalTokenCode), which answers with the reason.
    deferStart(defer, () =>
      sendTokenCode(env, codeToken, { purpose: SIGNIN_TOKEN_PURPOSE, challengeId, language: user.language, name: user.firstName || user.login, ip: meta.ip, nowMs: meta.nowMs }).catch(
        (error: unknown) => console.warn(`sign-in token code not sent: ${(error as { code?: string }).code ?? (error as Error)?.message ?? 'unknown error'}`),
      ),
    );
  }
  return continueWith(flow, 'otp', next);
}

async function finish(env: Env, portal: Portal, flowId: string, user: PortalUserRow, method: string, meta: PortalRequestMeta): Promise<PortalSignInResult> {
  const db = env.DB;
  // The flow is single use: only the request that flips consumed_at signs in.
  if (!(await consumeChallenge(db, flowId, meta.nowMs))) throw flowExpired();
  const { token, sessionId } = await mintSessionToken();
  const environment = await recordEnvironmentStatements(db, user.id, meta.environment, meta.nowMs);
  await db.batch([
    sessionStatement(db, sessionId, {
      userId: user.id,
      kind: 'portal',
      resourceId: portal.resourceId,
      method,
      ip: meta.ip,
      userAgent: meta.client,
      nowMs: meta.nowMs,
      ttlMs: PORTAL_SESSION_TTL_MS,
    }),
    clearLoginFailuresStatement(db, user.login),
    // Signing in with the old data answers any open recovery request: it was not needed (or was not theirs).
    deleteOpenIssueStatement(db, user.id),
    ...environment.statements,
    activityStatement(db, {
      type: 'UserLogin',
      userId: user.id,
      login: user.login,
      channel: 'portal',
      ip: meta.ip,
      client: meta.client,
      detail: { method, resource: portal.resourceName, environmentScore: environment.score },
      nowMs: meta.nowMs,
    }),
  ]);
  return { state: 'signed_in', sessionToken: token, sessionId, userId: user.id, environmentScore: environment.score };
}

/** The flow's attempt was claimed before the check (claimFlowAttempt); a failure only leaves its trace. */
function failureStatement(env: Env, data: FlowData, meta: PortalRequestMeta, reason: string) {
  return activityStatement(env.DB, {
    type: 'UserLoginAttempt',
    userId: data.userId,
    login: data.login,
    channel: 'portal',
    ip: meta.ip,
    client: meta.client,
    detail: { reason },
    nowMs: meta.nowMs,
  });
}
