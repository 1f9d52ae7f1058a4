/**
 * Restore access: a user who lost their password, email or token says so, proves what they still have, and leaves
 * a request (a "user issue") that an administrator approves after verifying their identity.
 *
 * The answers never depend on whether the login exists (a phantom flow is indistinguishable: the same body, the
 * same limits keyed by the login and IP, the email code sent after the response, the same PBKDF2 work), and a
 * request filed by an impostor is deleted by itself when the real user next signs in with the old data.
 *
 * A user whose token on this resource is an SMS or EMAIL token cannot read a code off it: when the token is among
 * what remains, every flow takes the uniform code limits (a second namespace, so the email code's budget is not
 * shared) and, after the response, a code goes to the token's destination if there is such a token. The code typed
 * into the OTP field (with the token's PIN where set) is then that token's evidence. A recovery code typed there
 * is checked against the user's recovery code set instead (tokensForTypedCode) and, when right, used up.
 *
 * Against an attacker who files requests for someone else:
 * - each submission first claims an attempt on counters per IP and per login as typed
 *   (RESTORE_ACCESS_SUBMITS_PER_*), and only then is any proof examined; a password additionally claims a login
 *   attempt (the account's password lock), an email code its challenge's attempt. Token OTPs do NOT count toward
 *   the token's own lock: otherwise anyone could lock the victim's token by filing wrong requests;
 * - a user has at most one open request: a new one replaces the old one in the same batch, so a flood leaves one
 *   request (the newest), not dozens for an administrator to approve by mistake.
 */
import type { Audit } from '../audit/record';
import { CODE_MAX_ATTEMPTS, HOUR_MS, RESTORE_ACCESS_SUBMITS_PER_IP_PER_HOUR, RESTORE_ACCESS_SUBMITS_PER_LOGIN_PER_HOUR } from '../constants';
import type { Env } from '../env';
import { claimPasswordAttempt } from '../auth/login-lock';
import { AppError } from '../errors';
import { dummyPasswordHash, hashPassword, randomToken, sha256Hex, verifyPassword } from '../lib/crypto';
import { assertIdentityFree, attemptKeyOf, fillMissingIdentityKeys, identityKeyColumns, lookupKeyOf } from '../lib/identity';
import { verifyCode } from '../messaging/codes';
import { enforceLimits, ipRateKey } from '../messaging/limits';
import { TOKEN_RECORD_COLUMNS, verifyTokenOtp, type TokenRecord } from '../otp/verify-service';
import { tokensForTypedCode } from '../tokens/accepted-tokens';
import { checkTokenCode, isMessageToken, sendTokenCode } from '../tokens/message-tokens';
import { verifyKeysOf } from '../tokens/service';
import { deferStart, prepareAnonymousCode, sendAnonymousCode, type Defer, type PreparedCode } from './code-requests';
import type { Portal } from './portal';

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
}

interface RecoveryUser {
  id: string;
  login: string;
  first_name: string;
  language: 'de' | 'en';
  email: string | null;
  password_hash: string | null;
  token_id: string | null;
}

async function findRecoveryUser(db: D1Database, resourceId: string, login: string): Promise<RecoveryUser | null> {
  // By identity key, as every sign-in path finds users (lib/identity.ts); a login with an invisible character is nobody's.
  const key = lookupKeyOf(login);
  if (key === null) return null;
  await fillMissingIdentityKeys(db);
  return db
    .prepare(
      `SELECT u.id, u.login, u.first_name, u.language, u.email, u.password_hash, a.token_id
       FROM users u JOIN assignments a ON a.user_id = u.id AND a.resource_id = ? WHERE u.login_key = ? AND u.enabled = 1`,
    )
    .bind(resourceId, key)
    .first<RecoveryUser>();
}

/** What the user must still prove: everything they did not declare lost. Same answer for every login. */
export async function startRecovery(
  env: Env,
  portal: Portal,
  input: { login: string; lost: Authenticator[] },
  meta: { ip: string; nowMs: number },
  defer: Defer,
) {
  if (input.lost.length === 0) throw new AppError('VALIDATION_FAILED', 'lost: say what you lost.');
  const user = await findRecoveryUser(env.DB, portal.resourceId, input.login);
  const flow: RecoveryFlow = { resourceId: portal.resourceId, login: attemptKeyOf(input.login), userId: user?.id ?? null, lost: [...new Set(input.lost)] };
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
  if (emailCooldownMs !== null) {
    remaining = remaining.filter((a) => a !== 'email');
    // Nothing else to prove with: the cooldown is the answer, as before.
    if (remaining.length === 0) throw (emailCode as { error: AppError }).error;
  }
  if (emailCode && 'challengeId' in emailCode) flow.emailChallengeId = emailCode.challengeId;
  if (tokenCode && 'challengeId' in tokenCode) flow.tokenChallengeId = tokenCode.challengeId;
  const handle = randomToken(24);
  await env.DB.prepare(
    `INSERT INTO challenges (id, purpose, user_id, max_attempts, data, ip, created_at, expires_at) VALUES (?, 'portal-recovery', ?, ?, ?, ?, ?, ?)`,
  )
    .bind(await sha256Hex(handle), flow.userId, CODE_MAX_ATTEMPTS, JSON.stringify(flow), meta.ip, meta.nowMs, meta.nowMs + FLOW_TTL_MS)
    .run();
  // The codes go out after the response, only to a real user, and are handed over after the last statement above,
  // so that nothing in the answer waits on them (even the look at the token's type).
  if (emailCode && 'challengeId' in emailCode && user?.email) {
    sendAnonymousCode(env, defer, emailCode, {
      purpose: 'portal-recovery',
      userId: user.id,
      target: user.email,
      language: user.language,
      name: user.first_name || user.login,
      nowMs: meta.nowMs,
    });
  }
  const tokenChallengeId = flow.tokenChallengeId;
  if (tokenChallengeId && user?.token_id) deferStart(defer, () => sendRecoveryTokenCode(env, user, user.token_id!, tokenChallengeId, meta.nowMs));
  return {
    flow: handle,
    verify: remaining,
    needs: { newPassword: flow.lost.includes('password'), newEmail: flow.lost.includes('email') },
    /** Only when no new email code could go out yet (resend cooldown): how long until one can. */
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

/** The token assigned here (in whatever state: its check answers for that) and the user's usable recovery code set. */
async function loadTokenEvidence(db: D1Database, tokenId: string, userId: string): Promise<TokenRecord[]> {
  const { results } = await db
    .prepare(`SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens WHERE id = ?1 OR (owner_user_id = ?2 AND type = 'RECOVERY_CODES' AND enabled = 1 AND activated = 1)`)
    .bind(tokenId, userId)
    .all<TokenRecord>();
  return results;
}

async function loadToken(db: D1Database, tokenId: string): Promise<TokenRecord | null> {
  return db.prepare(`SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens WHERE id = ?`).bind(tokenId).first<TokenRecord>();
}

/** After the response: a code to the user's SMS/EMAIL token, if that is what it is and it is usable. Failures are logged, never answered. */
async function sendRecoveryTokenCode(env: Env, user: RecoveryUser, tokenId: string, challengeId: string, nowMs: number): Promise<void> {
  try {
    const token = await loadToken(env.DB, tokenId);
    if (!token || !isMessageToken(token.type) || !token.enabled || !token.activated || !token.destination) return;
    // ip: null for the same reason as sendAnonymousCode: the per-IP cap was taken for every caller already.
    await sendTokenCode(env, token, { purpose: RECOVERY_TOKEN_PURPOSE, challengeId, language: user.language, name: user.first_name || user.login, ip: null, nowMs });
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

/**
 * Checks the evidence and files the request. The answer is the same whatever was right or wrong: the administrator
 * sees the verdict of each authenticator and decides. Each flow files at most one request, and it replaces the
 * user's open one.
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
  const id = await sha256Hex(handle);
  const consumed = await env.DB.prepare(
    `UPDATE challenges SET consumed_at = ? WHERE id = ? AND purpose = 'portal-recovery' AND consumed_at IS NULL AND expires_at > ? RETURNING data`,
  )
    .bind(nowMs, id, nowMs)
    .first<{ data: string }>();
  if (!consumed) throw new AppError('CODE_EXPIRED', 'The request has expired. Start again.');
  const flow = JSON.parse(consumed.data) as RecoveryFlow;
  // A flow from before `login` was kept has no counter key: it is as good as expired.
  if (flow.resourceId !== portal.resourceId || typeof flow.login !== 'string') throw new AppError('CODE_EXPIRED', 'The request has expired. Start again.');
  if (flow.lost.includes('password') && !evidence.newPassword) throw new AppError('VALIDATION_FAILED', 'newPassword: give the new password.');
  if (flow.lost.includes('email') && !evidence.newEmail) throw new AppError('VALIDATION_FAILED', 'newEmail: give the new email address.');
  await claimSubmission(env.DB, flow.login, meta);

  // A phantom flow (unknown login) runs every statement a real one does, on no row: the answer's timing is the
  // same (the user's and the token's reads and the store used to run only for real logins, about 25 ms over HTTP).
  const user = await env.DB.prepare(`SELECT u.id, u.login, u.first_name, u.language, u.email, u.password_hash, a.token_id FROM users u
      LEFT JOIN assignments a ON a.user_id = u.id AND a.resource_id = ? WHERE u.id = ?`)
    .bind(portal.resourceId, flow.userId ?? '')
    .first<RecoveryUser>();
  const pendingPasswordHash = evidence.newPassword ? await hashPassword(evidence.newPassword) : null;
  const statuses = await judgeEvidence(env, flow, user, evidence, meta);

  // One open request per user: the new one replaces the old in one batch (the unique index
  // user_issues_one_open_per_user holds it too). An admin still looking at the old one gets ISSUE_NOT_FOUND.
  const userId = user?.id ?? '';
  await env.DB.batch([
    env.DB.prepare(`DELETE FROM user_issues WHERE user_id = ? AND state = 'open'`).bind(userId),
    env.DB.prepare(
      `INSERT INTO user_issues (id, user_id, resource_id, lost, authenticators, pending_password_hash, pending_email, state, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?2)`,
    ).bind(crypto.randomUUID(), userId, portal.resourceId, JSON.stringify(flow.lost), JSON.stringify(statuses), pendingPasswordHash, evidence.newEmail ?? null, nowMs),
  ]);
  if (!user) return { submitted: true }; // phantom flow: same work done, nothing stored
  onFiled?.({ login: user.login, lost: flow.lost });
  return { submitted: true };
}

/**
 * Throws RATE_LIMITED (the same for every login) once this IP or this login submitted too often. Taken before any
 * proof is examined: this is what bounds the token OTP guesses, which do not count toward the token's own lock.
 */
async function claimSubmission(db: D1Database, login: string, meta: { ip: string; nowMs: number }): Promise<void> {
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

async function judgeEvidence(env: Env, flow: RecoveryFlow, user: RecoveryUser | null, evidence: RecoveryEvidence, meta: { ip: string; nowMs: number }) {
  const { nowMs } = meta;
  const statuses: Record<Authenticator, AuthenticatorStatus> = { password: 'none', email: 'none', token: 'none' };
  for (const lost of flow.lost) statuses[lost] = 'lost';
  if (!flow.lost.includes('password')) {
    // A password given claims an attempt on the login's lock first (keyed by the login as typed, so unknown
    // logins lock alike); a locked login's password is not examined. The hash is checked against a dummy for
    // unknown logins: the same work for everyone.
    const examined = evidence.password !== undefined && (await claimPasswordAttempt(env.DB, flow.login, nowMs)).allowed;
    const ok = examined && (await verifyPassword(evidence.password!, user?.password_hash ?? (await dummyPasswordHash())));
    statuses.password = user?.password_hash ? (ok ? 'verified' : 'failed') : 'none';
  }
  if (!flow.lost.includes('email')) {
    // Checked for every flow (a phantom's challenge has no code behind it), so the work does not tell them apart.
    const verdict = flow.emailChallengeId
      ? await verifyCode(env, { challengeId: flow.emailChallengeId, code: evidence.emailCode ?? '', nowMs, purpose: 'portal-recovery', explainRefusal: false })
      : null;
    if (user?.email && verdict) statuses.email = verdict.ok && verdict.userId === user.id ? 'verified' : 'failed';
  }
  if (!flow.lost.includes('token')) {
    // Read for every flow (no row for a phantom or a user without a token here): the same statements for all.
    // A recovery code typed into the OTP field goes to the user's set, any other code to the token assigned here.
    const candidates = await loadTokenEvidence(env.DB, user?.token_id ?? '', user?.id ?? '');
    const [token] = tokensForTypedCode(candidates, evidence.otp ?? '');
    let verdict = null;
    if (token && isMessageToken(token.type)) {
      // The code sent at the start of this flow (and only that one: a sign-in code for the same token does not count).
      // countFailure false: claimSubmission bounds these guesses (see the header).
      verdict = await checkTokenCode(env, token, flow.tokenChallengeId ?? null, evidence.otp ?? '', { purpose: RECOVERY_TOKEN_PURPOSE, nowMs, countFailure: false });
    } else if (token) {
      verdict = await verifyTokenOtp(env.DB, verifyKeysOf(env), token, evidence.otp ?? '', nowMs, { countFailure: false, via: { channel: 'portal', ip: meta.ip } });
    }
    if (user?.token_id || candidates.some((candidate) => candidate.type === 'RECOVERY_CODES')) statuses.token = verdict?.ok ? 'verified' : 'failed';
  }
  return statuses;
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
  const { results } = await db
    .prepare(
      `SELECT i.*, u.login, u.first_name, u.last_name, r.name AS resource_name FROM user_issues i
       JOIN users u ON u.id = i.user_id LEFT JOIN resources r ON r.id = i.resource_id
       WHERE i.state = 'open' ORDER BY i.created_at DESC`,
    )
    .all<Record<string, string | number | null>>();
  return results.map((row) => ({
    id: row.id as string,
    user: { id: row.user_id as string, login: row.login as string, firstName: row.first_name as string, lastName: row.last_name as string },
    resource: row.resource_id ? { id: row.resource_id as string, name: row.resource_name as string } : null,
    lost: JSON.parse(row.lost as string) as Authenticator[],
    authenticators: JSON.parse(row.authenticators as string) as Record<Authenticator, AuthenticatorStatus>,
    newEmail: row.pending_email as string | null,
    newPasswordGiven: row.pending_password_hash !== null,
    createdAt: row.created_at as number,
  }));
}

export async function countOpenUserIssues(db: D1Database): Promise<number> {
  return (await db.prepare(`SELECT count(*) AS n FROM user_issues WHERE state = 'open'`).first<{ n: number }>())!.n;
}

/**
 * "Verify Identity": applies the request in one batch. A lost token is disabled but stays assigned, so the user
 * signs in without it and registers a new one; a lost password or email is replaced by the new data given.
 */
export async function approveUserIssue(db: D1Database, issueId: string, adminUserId: string | null, nowMs: number, audit: Audit): Promise<void> {
  const issue = await db
    .prepare(`SELECT * FROM user_issues WHERE id = ? AND state = 'open'`)
    .bind(issueId)
    .first<{ user_id: string; resource_id: string | null; lost: string; pending_password_hash: string | null; pending_email: string | null }>();
  if (!issue) throw new AppError('ISSUE_NOT_FOUND');
  const lost = JSON.parse(issue.lost) as Authenticator[];
  // Every change is guarded by the issue still being open, and the state flips last in the same batch: two admins
  // approving at once apply it once.
  const stillOpen = `EXISTS (SELECT 1 FROM user_issues WHERE id = ? AND state = 'open')`;
  const statements: D1PreparedStatement[] = [];
  if (lost.includes('token')) {
    statements.push(
      db
        .prepare(
          `UPDATE tokens SET enabled = 0 WHERE ${stillOpen} AND id IN (SELECT token_id FROM assignments WHERE user_id = ? AND token_id IS NOT NULL ${issue.resource_id ? 'AND resource_id = ?' : ''})`,
        )
        .bind(issueId, ...(issue.resource_id ? [issue.user_id, issue.resource_id] : [issue.user_id])),
    );
  }
  if (lost.includes('password') && issue.pending_password_hash) {
    statements.push(db.prepare(`UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND ${stillOpen}`).bind(issue.pending_password_hash, nowMs, issue.user_id, issueId));
  }
  if (lost.includes('email') && issue.pending_email) {
    // The address asked for weeks ago may meanwhile belong to someone else under the identity key: refuse, as
    // every other path that sets an email does.
    await assertIdentityFree(db, { email: issue.pending_email, exceptUserId: issue.user_id });
    const { email_key } = identityKeyColumns({ email: issue.pending_email });
    statements.push(
      db.prepare(`UPDATE users SET email = ?, email_key = ?, updated_at = ? WHERE id = ? AND ${stillOpen}`).bind(issue.pending_email, email_key, nowMs, issue.user_id, issueId),
    );
  }
  statements.push(
    db.prepare(`UPDATE user_issues SET state = 'approved', resolved_at = ?, resolved_by_user_id = ? WHERE id = ? AND state = 'open'`).bind(nowMs, adminUserId, issueId),
    audit({ action: 'approve', objectType: 'user_issue', objectId: issueId, objectName: await loginOf(db, issue.user_id), before: auditedIssue(issue, 'open'), after: { state: 'approved' } }),
  );
  const results = await db.batch(statements);
  if (results.at(-2)!.meta.changes !== 1) throw new AppError('ISSUE_NOT_FOUND');
}

export async function deleteUserIssue(db: D1Database, issueId: string, audit: Audit): Promise<void> {
  const issue = await db.prepare(`SELECT * FROM user_issues WHERE id = ? AND state = 'open'`).bind(issueId).first<IssueRow>();
  const [result] = await db.batch([
    db.prepare(`DELETE FROM user_issues WHERE id = ? AND state = 'open'`).bind(issueId),
    audit({ action: 'delete', objectType: 'user_issue', objectId: issueId, objectName: issue ? await loginOf(db, issue.user_id) : null, before: issue ? auditedIssue(issue, 'open') : null }),
  ]);
  if (result!.meta.changes === 0) throw new AppError('ISSUE_NOT_FOUND');
}

type IssueRow = { user_id: string; lost: string; pending_password_hash: string | null; pending_email: string | null };

/** What the audit trail keeps of a request: what was lost and asked for, never the new password's hash. */
function auditedIssue(issue: IssueRow, state: string) {
  return { state, lost: JSON.parse(issue.lost) as string[], newEmail: issue.pending_email, newPasswordGiven: issue.pending_password_hash !== null };
}

async function loginOf(db: D1Database, userId: string): Promise<string | null> {
  return (await db.prepare('SELECT login FROM users WHERE id = ?').bind(userId).first<{ login: string }>())?.login ?? null;
}
