/**
 * Restore access: a user who lost their password, email or token says so, proves what they still have, and leaves
 * a request (a "user issue") that an administrator approves after verifying their identity.
 *
 * The flow: start (login and what was lost) -> proofs, one at a time (proveRecovery) -> the request (submitRecovery).
 * Before any proof succeeded the answers never depend on whether the login exists (a phantom flow is
 * indistinguishable: the same body, the same limits keyed by the login and IP, the email code sent after the
 * response, the same PBKDF2 work, the same refusal for a wrong proof). Once a proof succeeded (the password, the
 * email code or the token's code) the person has shown they hold the account, and the answer names the account's
 * other authenticators, so the form asks only for those. A request filed by an impostor is deleted by itself when
 * the real user next signs in with the old data.
 *
 * A user whose token on this resource is an SMS or EMAIL token cannot read a code off it: when the token is among
 * what remains, every flow takes the uniform code limits (a second namespace, so the email code's budget is not
 * shared) and, after the response, a code goes to the token's destination if there is such a token. The code typed
 * into the OTP field (with the token's PIN where set) is then that token's evidence. A recovery code typed there
 * is checked against the user's recovery code set instead (tokensForTypedCode) and, when right, used up.
 *
 * Against an attacker who files requests for someone else or guesses through them:
 * - each proof claims an attempt on the flow (RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW) and on counters per IP and per
 *   login as typed (RESTORE_ACCESS_SUBMITS_PER_*), and only then is it examined; a password additionally claims a
 *   login attempt (the account's password lock), an email code its challenge's attempt. Token OTPs do NOT count
 *   toward the token's own lock: otherwise anyone could lock the victim's token by filing wrong requests;
 * - a request is filed only once a proof was checked (in the proof step, or carried by the submission and right),
 *   and a user has at most one open request: a new one replaces the old one in the same batch, so a flood leaves
 *   one request (the newest), not dozens for an administrator to approve by mistake.
 */
import type { Audit } from '../audit/record';
import { HOUR_MS, RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW, RESTORE_ACCESS_SUBMITS_PER_IP_PER_HOUR, RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR } from '../constants';
import type { Env } from '../env';
import { claimPasswordAttempt } from '../auth/login-lock';
import { AppError } from '../errors';
import { dummyPasswordHash, hashPassword, randomToken, sha256Hex, verifyPassword } from '../lib/crypto';
import { assertIdentityFree, attemptKeyOf, fillMissingIdentityKeys, identityKeyColumns, lookupKeyOf } from '../lib/identity';
import { fieldRefusal } from '../lib/validate';
import { verifyCode } from '../messaging/codes';
import { enforceLimits, ipRateKey } from '../messaging/limits';
import { verifyTokenOtp } from '../tokens/verification';
import { tokensForTypedCode } from '../tokens/accepted-tokens';
import { checkTokenCode, isMessageToken, sendTokenCode } from '../tokens/message-tokens';
import { verifyKeysOf } from '../tokens/service';
import { deferStart, prepareAnonymousCode, sendAnonymousCode, type Defer, type PreparedCode } from './code-requests';
import type { Portal } from './portal';
import * as repo from './recovery-repo';
import type { RecoveryUser } from './recovery-repo';

export const AUTHENTICATORS = ['password', 'email', 'token'] as const;
export type Authenticator = (typeof AUTHENTICATORS)[number];
export type AuthenticatorStatus = 'verified' | 'failed' | 'lost' | 'none';

const FLOW_TTL_MS = 15 * 60 * 1000;
/** Codes sent to an SMS/EMAIL token during restore access: their own purpose, so they void no sign-in code. */
export const RECOVERY_TOKEN_PURPOSE = 'portal-recovery-token';

interface RecoveryFlow {
  resourceId: string;
  /** As typed, lower-cased: the key of the per-login counters, for unknown logins too. */
  login: string;
  userId: string | null;
  lost: Authenticator[];
  emailChallengeId?: string;
  /** The code for an SMS/EMAIL token (every flow with the token remaining has one, sent or not). */
  tokenChallengeId?: string;
  /** The verdicts of the proofs checked so far (repo.recordProofVerdict). */
  proofs?: Partial<Record<Authenticator, 'verified' | 'failed'>>;
}

const expired = () => new AppError('CODE_EXPIRED', 'The request has expired. Start again.');

async function findRecoveryUser(db: D1Database, resourceId: string, login: string): Promise<RecoveryUser | null> {
  // By identity key, as every sign-in path finds users (lib/identity.ts); a login with an invisible character is nobody's.
  const key = lookupKeyOf(login);
  if (key === null) return null;
  await fillMissingIdentityKeys(db);
  return repo.findAssignedUser(db, resourceId, key);
}

/** What the user must still prove: everything they did not declare lost. Same answer for every login. */
export async function startRecovery(
  env: Env,
  portal: Portal,
  input: { login: string; lost: Authenticator[] },
  meta: { ip: string; nowMs: number },
  defer: Defer,
) {
  if (input.lost.length === 0) throw fieldRefusal('lost', 'too_small', 'say what you lost', { minimum: 1, origin: 'array' });
  const lost = [...new Set(input.lost)];
  // Nothing left to prove with: a request would carry no proof at all, so only an administrator can help.
  if (AUTHENTICATORS.every((a) => lost.includes(a))) throw new AppError('RECOVERY_NOTHING_LEFT');
  const user = await findRecoveryUser(env.DB, portal.resourceId, input.login);
  const flow: RecoveryFlow = { resourceId: portal.resourceId, login: attemptKeyOf(input.login), userId: user?.id ?? null, lost };
  let remaining = AUTHENTICATORS.filter((a) => !flow.lost.includes(a));
  // Limits for every login alike (a 429 only for real addresses would tell them apart). A code still in its
  // resend cooldown (the user went back and started again) leaves the other proofs: the password, an app's OTP.
  const emailCode = remaining.includes('email')
    ? await unlessCoolingDown(() => prepareAnonymousCode(env, { purpose: 'portal-recovery', resourceId: portal.resourceId, login: input.login, ip: meta.ip, nowMs: meta.nowMs }))
    : null;
  const tokenCode = remaining.includes('token')
    ? await unlessCoolingDown(() => prepareAnonymousCode(env, { purpose: RECOVERY_TOKEN_PURPOSE, resourceId: portal.resourceId, login: input.login, ip: meta.ip, nowMs: meta.nowMs }))
    : null;
  const emailCooldownMs = emailCode && 'coolingDownMs' in emailCode ? emailCode.coolingDownMs : null;
  if (emailCode && 'challengeId' in emailCode) flow.emailChallengeId = emailCode.challengeId;
  if (tokenCode && 'challengeId' in tokenCode) flow.tokenChallengeId = tokenCode.challengeId;
  const coolingDown = (emailCode !== null && 'coolingDownMs' in emailCode) || (tokenCode !== null && 'coolingDownMs' in tokenCode);
  if (coolingDown) {
    // No new code could go out: the codes of the open flow started a moment ago for the same login carry over,
    // so the code already received can still be typed. Looked up for every login alike (phantoms have flows
    // too); each code keeps its own attempt counter, so a new flow adds no guesses at it.
    const earlier = await repo.readNewestLiveFlowFor(env.DB, portal.resourceId, flow.login, meta.nowMs);
    const carried = earlier ? (JSON.parse(earlier) as Pick<RecoveryFlow, 'emailChallengeId' | 'tokenChallengeId'>) : {};
    if (emailCooldownMs !== null && carried.emailChallengeId) flow.emailChallengeId = carried.emailChallengeId;
    if (tokenCode && 'coolingDownMs' in tokenCode && carried.tokenChallengeId) flow.tokenChallengeId = carried.tokenChallengeId;
  }
  if (emailCooldownMs !== null && flow.emailChallengeId === undefined) {
    remaining = remaining.filter((a) => a !== 'email');
    // Nothing else to prove with: the cooldown is the answer, as before.
    if (remaining.length === 0) throw (emailCode as { error: AppError }).error;
  }
  const handle = randomToken(24);
  await repo.insertFlow(env.DB, {
    idHash: await sha256Hex(handle),
    userId: flow.userId,
    maxAttempts: RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW,
    data: JSON.stringify(flow),
    ip: meta.ip,
    nowMs: meta.nowMs,
    expiresAtMs: meta.nowMs + FLOW_TTL_MS,
  });
  // The codes go out after the response, only to a real user, and are handed over after the last statement above,
  // so that nothing in the answer waits on them (even the look at the token's type).
  if (emailCode && 'challengeId' in emailCode && user?.email) {
    sendAnonymousCode(env, defer, emailCode, {
      purpose: 'portal-recovery',
      userId: user.id,
      target: user.email,
      language: user.language,
      name: user.firstName || user.login,
      nowMs: meta.nowMs,
    });
  }
  // Only a code prepared now is sent; one carried over from the earlier flow went out with it.
  const tokenChallengeId = tokenCode && 'challengeId' in tokenCode ? tokenCode.challengeId : undefined;
  const tokenId = user?.tokenId;
  if (tokenChallengeId && user && tokenId) deferStart(defer, () => sendRecoveryTokenCode(env, user, tokenId, tokenChallengeId, meta.nowMs));
  return {
    flow: handle,
    verify: remaining,
    needs: { newPassword: flow.lost.includes('password'), newEmail: flow.lost.includes('email') },
    /** Only when no new email code could go out yet (resend cooldown): how long until one can. The code of the
     *  email sent a moment ago still proves, while its flow is open. */
    ...(emailCooldownMs !== null ? { emailCooldownMs } : {}),
  };
}

/** A code's limits refused only by its resend cooldown: no code this time, and the refusal kept to say when. */
async function unlessCoolingDown(prepare: () => Promise<PreparedCode>): Promise<PreparedCode | { coolingDownMs: number; error: AppError }> {
  try {
    return await prepare();
  } catch (error) {
    const details = error instanceof AppError && error.code === 'RATE_LIMITED' ? (error.details as { limit?: string; retryAfterMs?: number } | undefined) : undefined;
    if (details?.limit !== 'cooldown') throw error;
    return { coolingDownMs: details.retryAfterMs ?? 0, error: error as AppError };
  }
}

/** After the response: a code to the user's SMS/EMAIL token, if that is what it is and it is usable. Failures are logged, never answered. */
async function sendRecoveryTokenCode(env: Env, user: RecoveryUser, tokenId: string, challengeId: string, nowMs: number): Promise<void> {
  try {
    const token = await repo.loadToken(env.DB, tokenId);
    if (!token || !isMessageToken(token.type) || !token.enabled || !token.activated || !token.destination) return;
    // ip: null for the same reason as sendAnonymousCode: the per-IP cap was taken for every caller already.
    await sendTokenCode(env, token, { purpose: RECOVERY_TOKEN_PURPOSE, challengeId, language: user.language, name: user.firstName || user.login, ip: null, nowMs });
  } catch (error) {
    console.warn(`${RECOVERY_TOKEN_PURPOSE} code not sent: ${(error as { code?: string }).code ?? (error as Error)?.message ?? 'unknown error'}`);
  }
}

export interface RecoveryEvidence {
  password?: string;
  emailCode?: string;
  otp?: string;
  newPassword?: string;
  newEmail?: string;
}

/** One proof of the proof step: exactly one of the three. */
export type RecoveryProof = { password: string } | { emailCode: string } | { otp: string };

const factorOf = (proof: RecoveryProof): Authenticator => ('password' in proof ? 'password' : 'emailCode' in proof ? 'email' : 'token');

/**
 * Checks one proof before the request is filed, so a mistyped code can be typed again. The attempt is claimed on
 * the flow first (a burst of guesses gets RESTORE_ACCESS_PROOF_ATTEMPTS_PER_FLOW checks, the rest are refused
 * unexamined), then on the per-IP and per-login counters.
 *
 * A wrong proof answers RECOVERY_PROOF_INVALID with the tries left, the same for every login. A right one answers
 * which authenticators the account has besides those already proven (and not lost): the form asks only for those.
 */
export async function proveRecovery(env: Env, portal: Portal, handle: string, proof: RecoveryProof, meta: { ip: string; nowMs: number }) {
  const idHash = await sha256Hex(handle);
  const claimed = await claimFlowAttempt(env.DB, portal, idHash, meta.nowMs);
  const { flow } = claimed;
  const factor = factorOf(proof);
  if (flow.lost.includes(factor)) throw fieldRefusal({ password: 'password', email: 'emailCode', token: 'otp' }[factor], 'DECLARED_LOST', `${factor}: declared lost in this request`);
  const user = await examineProof(env, portal, idHash, claimed, factor, proof as RecoveryEvidence, meta);

  const verified = AUTHENTICATORS.filter((a) => a === factor || flow.proofs?.[a] === 'verified');
  const owned = await ownedAuthenticators(env.DB, flow, user);
  return { verified, verify: owned.filter((a) => !verified.includes(a)), attemptsLeft: claimed.attemptsLeft };
}

/** One attempt taken on a flow: the flow's state as it was when taken, and the attempts it has left after this one. */
interface ClaimedAttempt {
  flow: RecoveryFlow;
  attemptsLeft: number;
}

/** Takes one attempt on the flow in one conditional statement: once none are left, the proof is refused unexamined. */
async function claimFlowAttempt(db: D1Database, portal: Portal, idHash: string, nowMs: number): Promise<ClaimedAttempt> {
  const claimed = await repo.claimProofAttempt(db, idHash, nowMs);
  if (!claimed) throw (await repo.isFlowLive(db, idHash, nowMs)) ? new AppError('RECOVERY_ATTEMPTS_USED') : expired();
  const flow = JSON.parse(claimed.data) as RecoveryFlow;
  // A flow from before `login` was kept has no counter key: it is as good as expired.
  if (flow.resourceId !== portal.resourceId || typeof flow.login !== 'string') throw expired();
  return { flow, attemptsLeft: claimed.maxAttempts - claimed.attempts };
}

/**
 * Examines one proof on an attempt already claimed (after the per-IP and per-login counters) and records its
 * verdict in the flow. Wrong: RECOVERY_PROOF_INVALID naming the field and the tries left, the same for every login.
 */
async function examineProof(
  env: Env,
  portal: Portal,
  idHash: string,
  claimed: ClaimedAttempt,
  factor: Authenticator,
  evidence: RecoveryEvidence,
  meta: { ip: string; nowMs: number },
): Promise<RecoveryUser> {
  await claimProofChecks(env.DB, claimed.flow.login, meta);
  const user = await repo.findFlowUser(env.DB, portal.resourceId, claimed.flow.userId ?? '');
  const verdict = await judgeFactor(env, claimed.flow, user, factor, evidence, meta);
  await repo.recordProofVerdict(env.DB, idHash, factor, verdict === 'verified' ? 'verified' : 'failed');
  if (verdict !== 'verified' || !user) throw new AppError('RECOVERY_PROOF_INVALID', undefined, { field: factor, attemptsLeft: claimed.attemptsLeft });
  return user;
}

/**
 * The proofs a submission carries, each checked as the proof step checks it (an attempt claimed, then examined),
 * before anything is filed: a wrong one refuses the submission at its field and leaves the flow open, so it can
 * be typed again. Evidence for what was declared lost or is verified already is not examined again.
 */
async function proveCarried(env: Env, portal: Portal, idHash: string, evidence: RecoveryEvidence, meta: { ip: string; nowMs: number }): Promise<void> {
  let unused: ClaimedAttempt | null = null;
  for (const factor of AUTHENTICATORS) {
    if (!given(factor, evidence)) continue;
    // The flow's state comes with the claim; an attempt not spent on a skipped factor is kept for the next one.
    const claimed: ClaimedAttempt = unused ?? (await claimFlowAttempt(env.DB, portal, idHash, meta.nowMs));
    unused = null;
    if (claimed.flow.lost.includes(factor) || claimed.flow.proofs?.[factor] === 'verified') {
      unused = claimed;
      continue;
    }
    await examineProof(env, portal, idHash, claimed, factor, evidence, meta);
  }
}

/** What the account can still prove with in this flow: not lost, and present (an email code only if one went out). */
async function ownedAuthenticators(db: D1Database, flow: RecoveryFlow, user: RecoveryUser): Promise<Authenticator[]> {
  const hasToken = user.tokenId !== null || (await repo.loadTokenEvidence(db, '', user.id)).length > 0;
  const has: Record<Authenticator, boolean> = { password: user.passwordHash !== null, email: user.email !== null && flow.emailChallengeId !== undefined, token: hasToken };
  return AUTHENTICATORS.filter((a) => !flow.lost.includes(a) && has[a]);
}

/**
 * Files the request with the verdicts of the proofs checked in the flow (the administrator sees each verdict and
 * decides). Proofs the submission carries are checked first, like the proof step's: a wrong one is refused at its
 * field and nothing is filed (it used to be filed marked failed, so a typo cost the user the request). Refused
 * without any proof checked at all. Each flow files at most one request, and it replaces the user's open one.
 */
export async function submitRecovery(
  env: Env,
  portal: Portal,
  handle: string,
  evidence: RecoveryEvidence,
  meta: { ip: string; nowMs: number },
  /** Told about a request actually stored (never for a phantom flow): the admin email notification. */
  onFiled?: (filed: { login: string; lost: Authenticator[] }) => void,
): Promise<{ submitted: true }> {
  const { nowMs } = meta;
  const idHash = await sha256Hex(handle);
  await proveCarried(env, portal, idHash, evidence, meta);
  // Checked on the open flow before it is used up, so a refused submission changes nothing and can be sent again
  // with what was missing (what was lost never changes, and a proof once recorded stays).
  const checkedFlow = (data: string | null): RecoveryFlow => {
    if (data === null) throw expired();
    const flow = JSON.parse(data) as RecoveryFlow;
    // A flow from before `login` was kept has no counter key: it is as good as expired.
    if (flow.resourceId !== portal.resourceId || typeof flow.login !== 'string') throw expired();
    if (flow.lost.includes('password') && !evidence.newPassword) throw fieldRefusal('newPassword', 'REQUIRED', 'give the new password');
    if (flow.lost.includes('email') && !evidence.newEmail) throw fieldRefusal('newEmail', 'REQUIRED', 'give the new email address');
    // Decided by what was checked (the carried proofs among it), never by the account: the same refusal for every login.
    if (Object.keys(flow.proofs ?? {}).length === 0) throw new AppError('RECOVERY_PROOF_REQUIRED');
    return flow;
  };
  checkedFlow(await repo.readLiveFlow(env.DB, idHash, nowMs));
  const flow = checkedFlow(await repo.consumeFlow(env.DB, idHash, nowMs));

  // A phantom flow (unknown login) runs every statement a real one does, on no row: the answer's timing is the
  // same (the user's and the token's reads and the store used to run only for real logins, about 25 ms over HTTP).
  const user = await repo.findFlowUser(env.DB, portal.resourceId, flow.userId ?? '');
  const pendingPasswordHash = evidence.newPassword ? await hashPassword(evidence.newPassword) : null;
  const statuses: Record<Authenticator, AuthenticatorStatus> = { password: 'none', email: 'none', token: 'none' };
  for (const factor of AUTHENTICATORS) {
    if (flow.lost.includes(factor)) statuses[factor] = 'lost';
    else if (flow.proofs?.[factor] === 'verified') statuses[factor] = 'verified';
    // Not proven (tried and wrong, or not given): judged on no evidence, so the account's answer is 'failed' or 'none'.
    else statuses[factor] = await judgeFactor(env, flow, user, factor, {}, meta);
  }
  await repo.fileIssue(env.DB, {
    userId: user?.id ?? '',
    resourceId: portal.resourceId,
    lost: JSON.stringify(flow.lost),
    authenticators: JSON.stringify(statuses),
    pendingPasswordHash,
    pendingEmail: evidence.newEmail ?? null,
    nowMs,
  });
  if (!user) return { submitted: true }; // phantom flow: same work done, nothing stored
  onFiled?.({ login: user.login, lost: flow.lost });
  return { submitted: true };
}

function given(factor: Authenticator, evidence: RecoveryEvidence): boolean {
  const value = factor === 'password' ? evidence.password : factor === 'email' ? evidence.emailCode : evidence.otp;
  return value !== undefined && value !== '';
}

/**
 * Throws RATE_LIMITED (the same for every login) once this IP or this login had too many proofs checked. Taken
 * before any proof is examined: this is what bounds the token OTP guesses, which do not count toward the token's
 * own lock.
 */
async function claimProofChecks(db: D1Database, login: string, meta: { ip: string; nowMs: number }): Promise<void> {
  try {
    await enforceLimits(
      db,
      [
        // The caller's own budget first: an address over its cap cannot spend the login's budget.
        { name: 'ip', key: `restore-access-ip:${ipRateKey(meta.ip)}`, limit: RESTORE_ACCESS_SUBMITS_PER_IP_PER_HOUR, windowMs: HOUR_MS },
        { name: 'login', key: `restore-access-login:${login}`, limit: RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR, windowMs: HOUR_MS },
      ],
      meta.nowMs,
    );
  } catch (error) {
    // enforceLimits speaks of messages; these are requests.
    if (error instanceof AppError && error.code === 'RATE_LIMITED') {
      throw new AppError('RATE_LIMITED', 'Too many restore-access requests for this login or from this address. Try again later.', error.details);
    }
    throw error;
  }
}

/**
 * The verdict on one authenticator that was not declared lost: 'verified', 'failed' (the account has it and it was
 * not proven) or 'none' (the account does not have it). Every flow runs the same statements and the same work for
 * a factor, phantom or real, given or not.
 */
async function judgeFactor(
  env: Env,
  flow: RecoveryFlow,
  user: RecoveryUser | null,
  factor: Authenticator,
  evidence: RecoveryEvidence,
  meta: { ip: string; nowMs: number },
): Promise<AuthenticatorStatus> {
  const { nowMs } = meta;
  if (factor === 'password') {
    // A password given claims an attempt on the login's lock first (keyed by the login as typed, so unknown
    // logins lock alike); a locked login's password is not examined. The hash is checked against a dummy for
    // unknown logins: the same work for everyone.
    const examined = evidence.password !== undefined && (await claimPasswordAttempt(env.DB, flow.login, nowMs)).allowed;
    const ok = examined && (await verifyPassword(evidence.password!, user?.passwordHash ?? (await dummyPasswordHash())));
    return user?.passwordHash ? (ok ? 'verified' : 'failed') : 'none';
  }
  if (factor === 'email') {
    // Checked for every flow (a phantom's challenge has no code behind it), so the work does not tell them apart.
    const verdict = flow.emailChallengeId
      ? await verifyCode(env, { challengeId: flow.emailChallengeId, code: evidence.emailCode ?? '', nowMs, purpose: 'portal-recovery', explainRefusal: false })
      : null;
    return user?.email && verdict ? (verdict.ok && verdict.userId === user.id ? 'verified' : 'failed') : 'none';
  }
  // Read for every flow (no row for a phantom or a user without a token here): the same statements for all.
  // A recovery code typed into the OTP field goes to the user's set, any other code to the token assigned here.
  const candidates = await repo.loadTokenEvidence(env.DB, user?.tokenId ?? '', user?.id ?? '');
  const [token] = tokensForTypedCode(candidates, evidence.otp ?? '');
  let verdict = null;
  if (token && isMessageToken(token.type)) {
    // The code sent at the start of this flow (and only that one: a sign-in code for the same token does not count).
    // countFailure false: claimProofChecks bounds these guesses (see the header).
    verdict = await checkTokenCode(env, token, flow.tokenChallengeId ?? null, evidence.otp ?? '', { purpose: RECOVERY_TOKEN_PURPOSE, nowMs, countFailure: false });
  } else if (token) {
    verdict = await verifyTokenOtp(env.DB, verifyKeysOf(env), token, evidence.otp ?? '', nowMs, { countFailure: false, via: { channel: 'portal', ip: meta.ip } });
  }
  return user?.tokenId || candidates.some((candidate) => candidate.type === 'RECOVERY_CODES') ? (verdict?.ok ? 'verified' : 'failed') : 'none';
}

// ---- administrators

export interface UserIssueView {
  id: string;
  user: { id: string; login: string; firstName: string; lastName: string };
  resource: { id: string; name: string } | null;
  lost: Authenticator[];
  authenticators: Record<Authenticator, AuthenticatorStatus>;
  newEmail: string | null;
  newPasswordGiven: boolean;
  createdAt: number;
}

export async function listUserIssues(db: D1Database): Promise<UserIssueView[]> {
  const rows = await repo.listOpenIssues(db);
  return rows.map(({ issue, login, firstName, lastName, resourceName }) => ({
    id: issue.id,
    user: { id: issue.userId, login, firstName, lastName },
    resource: issue.resourceId ? { id: issue.resourceId, name: resourceName ?? '' } : null,
    lost: JSON.parse(issue.lost) as Authenticator[],
    authenticators: JSON.parse(issue.authenticators) as Record<Authenticator, AuthenticatorStatus>,
    newEmail: issue.pendingEmail,
    newPasswordGiven: issue.pendingPasswordHash !== null,
    createdAt: issue.createdAt,
  }));
}

export function countOpenUserIssues(db: D1Database): Promise<number> {
  return repo.countOpenIssues(db);
}

/**
 * "Verify Identity": applies the request in one batch. A lost token is disabled but stays assigned, so the user
 * signs in without it and registers a new one; a lost password or email is replaced by the new data given.
 */
export async function approveUserIssue(db: D1Database, issueId: string, adminUserId: string | null, nowMs: number, audit: Audit): Promise<void> {
  const issue = await repo.findOpenIssue(db, issueId);
  if (!issue) throw new AppError('ISSUE_NOT_FOUND');
  const lost = JSON.parse(issue.lost) as Authenticator[];
  let email: { value: string; key: string | null } | null = null;
  if (lost.includes('email') && issue.pendingEmail) {
    // The address asked for weeks ago may meanwhile belong to someone else under the identity key: refuse, as
    // every other path that sets an email does.
    await assertIdentityFree(db, { email: issue.pendingEmail, exceptUserId: issue.userId });
    email = { value: issue.pendingEmail, key: identityKeyColumns({ email: issue.pendingEmail }).email_key ?? null };
  }
  const { changes, flip } = repo.approvalStatements(
    db,
    issue,
    { disableToken: lost.includes('token'), passwordHash: lost.includes('password') ? issue.pendingPasswordHash : null, email },
    adminUserId,
    nowMs,
  );
  const results = await db.batch([
    ...changes,
    flip,
    audit({ action: 'approve', objectType: 'user_issue', objectId: issueId, objectName: await repo.loginOf(db, issue.userId), before: auditedIssue(issue, 'open'), after: { state: 'approved' } }),
  ]);
  if (results.at(-2)!.meta.changes !== 1) throw new AppError('ISSUE_NOT_FOUND');
}

export async function deleteUserIssue(db: D1Database, issueId: string, audit: Audit): Promise<void> {
  const issue = await repo.findOpenIssue(db, issueId);
  const [result] = await db.batch([
    repo.deleteOpenIssueStatement(db, issueId),
    audit({ action: 'delete', objectType: 'user_issue', objectId: issueId, objectName: issue ? await repo.loginOf(db, issue.userId) : null, before: issue ? auditedIssue(issue, 'open') : null }),
  ]);
  if (result!.meta.changes === 0) throw new AppError('ISSUE_NOT_FOUND');
}

/** What the audit trail keeps of a request: what was lost and asked for, never the new password's hash. */
function auditedIssue(issue: repo.IssueRow, state: string) {
  return { state, lost: JSON.parse(issue.lost) as string[], newEmail: issue.pendingEmail, newPasswordGiven: issue.pendingPasswordHash !== null };
}
