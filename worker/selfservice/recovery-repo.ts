/**
 * Every statement of restore access: the flow (a `challenges` row whose `attempts` counts the proofs checked), the
 * user and token evidence it is judged against, and the requests ("user issues") it files for administrators.
 * Row types come from worker/db/schema.ts; multi-row writes go in one D1 batch.
 */
import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { createDb, d1Statement } from '../db/client';
import { assignments, challenges, resources, tokens, userIssues, users } from '../db/schema';
import { readTokenRecord, tokenRecordSelection } from '../tokens/repo';

const FLOW_PURPOSE = 'portal-recovery';

export interface RecoveryUser {
  id: string;
  login: string;
  firstName: string;
  language: 'de' | 'en';
  email: string | null;
  passwordHash: string | null;
  tokenId: string | null;
}

const recoveryUserColumns = {
  id: users.id,
  login: users.login,
  firstName: users.firstName,
  language: users.language,
  email: users.email,
  passwordHash: users.passwordHash,
  tokenId: assignments.tokenId,
};

/** An enabled user assigned to the resource, by identity key (lib/identity.ts). */
export async function findAssignedUser(d1: D1Database, resourceId: string, loginKey: string): Promise<RecoveryUser | null> {
  const [row] = await createDb(d1)
    .select(recoveryUserColumns)
    .from(users)
    .innerJoin(assignments, and(eq(assignments.userId, users.id), eq(assignments.resourceId, resourceId)))
    .where(and(eq(users.loginKey, loginKey), eq(users.enabled, true)));
  return row ?? null;
}

/** The flow's user with the token assigned here; '' (a phantom flow) runs the same statement on no row. */
export async function findFlowUser(d1: D1Database, resourceId: string, userId: string): Promise<RecoveryUser | null> {
  const [row] = await createDb(d1)
    .select(recoveryUserColumns)
    .from(users)
    .leftJoin(assignments, and(eq(assignments.userId, users.id), eq(assignments.resourceId, resourceId)))
    .where(eq(users.id, userId));
  return row ?? null;
}

export async function insertFlow(
  d1: D1Database,
  flow: { idHash: string; userId: string | null; maxAttempts: number; data: string; ip: string; nowMs: number; expiresAtMs: number },
): Promise<void> {
  await createDb(d1).insert(challenges).values({
    id: flow.idHash,
    purpose: FLOW_PURPOSE,
    userId: flow.userId,
    maxAttempts: flow.maxAttempts,
    data: flow.data,
    ip: flow.ip,
    createdAt: flow.nowMs,
    expiresAt: flow.expiresAtMs,
  });
}

const liveFlow = (idHash: string, nowMs: number) =>
  and(eq(challenges.id, idHash), eq(challenges.purpose, FLOW_PURPOSE), isNull(challenges.consumedAt), gt(challenges.expiresAt, nowMs));

/**
 * Claims one proof attempt on a live flow in one conditional statement: of any number of concurrent proofs, only
 * as many as the flow has attempts left get a row back, and only those are examined.
 */
export async function claimProofAttempt(d1: D1Database, idHash: string, nowMs: number): Promise<{ data: string; attempts: number; maxAttempts: number } | null> {
  const [row] = await createDb(d1)
    .update(challenges)
    .set({ attempts: sql`${challenges.attempts} + 1` })
    .where(and(liveFlow(idHash, nowMs), lt(challenges.attempts, challenges.maxAttempts)))
    .returning({ data: challenges.data, attempts: challenges.attempts, maxAttempts: challenges.maxAttempts });
  return row ?? null;
}

/**
 * The state of the newest open flow started for this login at this resource (phantom logins have flows too): a
 * start within the resend cooldown takes over its codes, so the code that email or SMS brought a moment ago still works.
 */
export async function readNewestLiveFlowFor(d1: D1Database, resourceId: string, loginKey: string, nowMs: number): Promise<string | null> {
  const [row] = await createDb(d1)
    .select({ data: challenges.data })
    .from(challenges)
    .where(
      and(
        eq(challenges.purpose, FLOW_PURPOSE),
        isNull(challenges.codeHash),
        isNull(challenges.consumedAt),
        gt(challenges.expiresAt, nowMs),
        sql`json_extract(${challenges.data}, '$.resourceId') = ${resourceId}`,
        sql`json_extract(${challenges.data}, '$.login') = ${loginKey}`,
      ),
    )
    .orderBy(desc(challenges.createdAt))
    .limit(1);
  return row?.data ?? null;
}

/** Whether the flow is still open (not expired, not filed): tells "no attempts left" from "expired". */
export async function isFlowLive(d1: D1Database, idHash: string, nowMs: number): Promise<boolean> {
  const [row] = await createDb(d1).select({ id: challenges.id }).from(challenges).where(liveFlow(idHash, nowMs));
  return row !== undefined;
}

/**
 * Records a proof's verdict in the flow's `proofs` in one statement (concurrent proofs of other factors keep theirs):
 * a factor once verified stays verified.
 */
export async function recordProofVerdict(d1: D1Database, idHash: string, factor: string, verdict: 'verified' | 'failed'): Promise<void> {
  const path = `$.proofs.${factor}`;
  await createDb(d1)
    .update(challenges)
    .set({ data: sql`json_set(${challenges.data}, ${path}, CASE WHEN json_extract(${challenges.data}, ${path}) = 'verified' THEN 'verified' ELSE ${verdict} END)` })
    .where(eq(challenges.id, idHash));
}

/** The open flow's state, read without using it up: what a submission is checked against before it files. */
export async function readLiveFlow(d1: D1Database, idHash: string, nowMs: number): Promise<string | null> {
  const [row] = await createDb(d1).select({ data: challenges.data }).from(challenges).where(liveFlow(idHash, nowMs));
  return row?.data ?? null;
}

/** Uses the flow up (a request is filed once): the flow's state, or null when it is expired or used already. */
export async function consumeFlow(d1: D1Database, idHash: string, nowMs: number): Promise<string | null> {
  const [row] = await createDb(d1).update(challenges).set({ consumedAt: nowMs }).where(liveFlow(idHash, nowMs)).returning({ data: challenges.data });
  return row?.data ?? null;
}

/** The token assigned here (in whatever state: its check answers for that) and the user's usable recovery code set. */
export async function loadTokenEvidence(d1: D1Database, tokenId: string, userId: string) {
  return createDb(d1)
    .select(tokenRecordSelection)
    .from(tokens)
    .where(or(eq(tokens.id, tokenId), and(eq(tokens.ownerUserId, userId), eq(tokens.type, 'RECOVERY_CODES'), eq(tokens.enabled, true), eq(tokens.activated, true))));
}

export async function loadToken(d1: D1Database, tokenId: string) {
  return (await readTokenRecord(d1, tokenId)) ?? null;
}

/**
 * Files the request, replacing the user's open one in the same batch (the unique index user_issues_one_open_per_user
 * holds it too). For a phantom flow (userId '') both statements run on no row.
 */
export async function fileIssue(
  d1: D1Database,
  issue: { userId: string; resourceId: string; lost: string; authenticators: string; pendingPasswordHash: string | null; pendingEmail: string | null; nowMs: number },
): Promise<void> {
  const db = createDb(d1);
  await d1.batch([
    d1Statement(d1, db.delete(userIssues).where(and(eq(userIssues.userId, issue.userId), eq(userIssues.state, 'open')))),
    // INSERT ... SELECT ... WHERE EXISTS: drizzle builds no conditional insert, and the row must not exist for a phantom.
    d1
      .prepare(
        `INSERT INTO user_issues (id, user_id, resource_id, lost, authenticators, pending_password_hash, pending_email, state, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?2)`,
      )
      .bind(crypto.randomUUID(), issue.userId, issue.resourceId, issue.lost, issue.authenticators, issue.pendingPasswordHash, issue.pendingEmail, issue.nowMs),
  ]);
}

// ---------------------------------------------------------------- administrators

export type IssueRow = typeof userIssues.$inferSelect;

export async function listOpenIssues(d1: D1Database) {
  return createDb(d1)
    .select({
      issue: userIssues,
      login: users.login,
      firstName: users.firstName,
      lastName: users.lastName,
      resourceName: resources.name,
    })
    .from(userIssues)
    .innerJoin(users, eq(users.id, userIssues.userId))
    .leftJoin(resources, eq(resources.id, userIssues.resourceId))
    .where(eq(userIssues.state, 'open'))
    .orderBy(desc(userIssues.createdAt));
}

export async function countOpenIssues(d1: D1Database): Promise<number> {
  return createDb(d1).$count(userIssues, eq(userIssues.state, 'open'));
}

export async function findOpenIssue(d1: D1Database, issueId: string): Promise<IssueRow | null> {
  const [row] = await createDb(d1)
    .select()
    .from(userIssues)
    .where(and(eq(userIssues.id, issueId), eq(userIssues.state, 'open')));
  return row ?? null;
}

export async function loginOf(d1: D1Database, userId: string): Promise<string | null> {
  const [row] = await createDb(d1).select({ login: users.login }).from(users).where(eq(users.id, userId));
  return row?.login ?? null;
}

/**
 * The statements that apply an approved request. Each is guarded by the issue still being open and the state flips
 * last: two admins approving at once apply it once. The caller appends the audit row and runs them in one batch;
 * the state flip is the statement whose change count tells whether this approval won.
 */
export function approvalStatements(
  d1: D1Database,
  issue: IssueRow,
  change: { disableToken: boolean; passwordHash: string | null; email: { value: string; key: string | null } | null },
  adminUserId: string | null,
  nowMs: number,
): { changes: D1PreparedStatement[]; flip: D1PreparedStatement } {
  const stillOpen = `EXISTS (SELECT 1 FROM user_issues WHERE id = ? AND state = 'open')`;
  const changes: D1PreparedStatement[] = [];
  if (change.disableToken) {
    changes.push(
      d1
        .prepare(
          `UPDATE tokens SET enabled = 0 WHERE ${stillOpen} AND id IN (SELECT token_id FROM assignments WHERE user_id = ? AND token_id IS NOT NULL ${issue.resourceId ? 'AND resource_id = ?' : ''})`,
        )
        .bind(issue.id, ...(issue.resourceId ? [issue.userId, issue.resourceId] : [issue.userId])),
    );
  }
  if (change.passwordHash) {
    changes.push(d1.prepare(`UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? AND ${stillOpen}`).bind(change.passwordHash, nowMs, issue.userId, issue.id));
  }
  if (change.email) {
    changes.push(
      d1.prepare(`UPDATE users SET email = ?, email_key = ?, updated_at = ? WHERE id = ? AND ${stillOpen}`).bind(change.email.value, change.email.key, nowMs, issue.userId, issue.id),
    );
  }
  const db = createDb(d1);
  const flip = d1Statement(
    d1,
    db
      .update(userIssues)
      .set({ state: 'approved', resolvedAt: nowMs, resolvedByUserId: adminUserId })
      .where(and(eq(userIssues.id, issue.id), eq(userIssues.state, 'open'))),
  );
  return { changes, flip };
}

export function deleteOpenIssueStatement(d1: D1Database, issueId: string): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).delete(userIssues).where(and(eq(userIssues.id, issueId), eq(userIssues.state, 'open'))));
}
