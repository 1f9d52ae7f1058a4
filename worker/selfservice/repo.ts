/**
 * Every statement of the self-service portal but access recovery's (recovery-repo.ts) and the sign-in environments'
 * (environment-repo.ts): the portal's settings on its resource, the portal sign-in flow held in a `challenges` row,
 * and the changes the portal's actions make to the signed-in user, their assignment and their tokens. Row types
 * come from worker/db/schema.ts. The conditional statements (claims, moves of the flow, compare-and-set) stay SQL
 * or carry their condition in the WHERE; each says what it guarantees.
 */
import { and, asc, eq, gt, isNull, lt, ne, sql } from 'drizzle-orm';
import { createDb, d1Statement } from '../db/client';
import { assignments, challenges, resources, tokens, userIssues, users } from '../db/schema';

type UserRow = typeof users.$inferSelect;
type ResourceRow = typeof resources.$inferSelect;
type AssignmentRow = typeof assignments.$inferSelect;

// ---------------------------------------------------------------- the portal on its resource

export type PortalRow = Pick<ResourceRow, 'id' | 'name' | 'selfServiceAlias' | 'selfServiceActions' | 'selfServiceTokenTypes'>;

/** The enabled portal under `alias`, compared case-insensitively. */
export async function findEnabledPortal(d1: D1Database, alias: string): Promise<PortalRow | null> {
  const [row] = await createDb(d1)
    .select({
      id: resources.id,
      name: resources.name,
      selfServiceAlias: resources.selfServiceAlias,
      selfServiceActions: resources.selfServiceActions,
      selfServiceTokenTypes: resources.selfServiceTokenTypes,
    })
    .from(resources)
    .where(and(sql`lower(${resources.selfServiceAlias}) = lower(${alias})`, eq(resources.selfServiceEnabled, true)));
  return row ?? null;
}

export function savePortalSettingsStatement(
  d1: D1Database,
  resourceId: string,
  settings: Pick<ResourceRow, 'selfServiceEnabled' | 'selfServiceAlias' | 'selfServiceActions' | 'selfServiceTokenTypes'>,
): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).update(resources).set(settings).where(eq(resources.id, resourceId)));
}

// ---------------------------------------------------------------- the portal sign-in flow

const FLOW_PURPOSE = 'portal-signin';

export type PortalUserRow = Pick<UserRow, 'id' | 'login' | 'passwordHash' | 'email' | 'language' | 'firstName' | 'enabled'> & {
  assignmentKind: AssignmentRow['kind'] | null;
};

/** The user with this identity key and their assignment to the resource, if any. */
export async function findPortalUserRow(d1: D1Database, resourceId: string, loginKey: string): Promise<PortalUserRow | null> {
  const [row] = await createDb(d1)
    .select({
      id: users.id,
      login: users.login,
      passwordHash: users.passwordHash,
      email: users.email,
      language: users.language,
      firstName: users.firstName,
      enabled: users.enabled,
      assignmentKind: assignments.kind,
    })
    .from(users)
    .leftJoin(assignments, and(eq(assignments.userId, users.id), eq(assignments.resourceId, resourceId)))
    .where(eq(users.loginKey, loginKey));
  return row ?? null;
}

export async function insertFlow(d1: D1Database, flow: { id: string; userId: string | null; maxAttempts: number; data: string; ip: string; nowMs: number; expiresAt: number }): Promise<void> {
  await createDb(d1)
    .insert(challenges)
    .values({ id: flow.id, purpose: FLOW_PURPOSE, userId: flow.userId, maxAttempts: flow.maxAttempts, data: flow.data, ip: flow.ip, createdAt: flow.nowMs, expiresAt: flow.expiresAt });
}

/** The flow while it is unconsumed and unexpired, with its attempt count (the caller compares it with the limit). */
export async function findOpenFlow(d1: D1Database, flowId: string, nowMs: number): Promise<Pick<typeof challenges.$inferSelect, 'data' | 'attempts' | 'maxAttempts'> | null> {
  const [row] = await createDb(d1)
    .select({ data: challenges.data, attempts: challenges.attempts, maxAttempts: challenges.maxAttempts })
    .from(challenges)
    .where(and(eq(challenges.id, flowId), eq(challenges.purpose, FLOW_PURPOSE), isNull(challenges.consumedAt), gt(challenges.expiresAt, nowMs)));
  return row ?? null;
}

/**
 * Claims one attempt of the flow, only while it is open, for this resource, at `step` and under its limit: the
 * check and the count are one UPDATE, so N parallel guesses get at most max_attempts examinations. Null: no claim.
 */
export async function claimFlowAttemptRow(d1: D1Database, flow: { id: string; step: string; resourceId: string; nowMs: number }): Promise<string | null> {
  const [row] = await createDb(d1)
    .update(challenges)
    .set({ attempts: sql`${challenges.attempts} + 1` })
    .where(
      and(
        eq(challenges.id, flow.id),
        eq(challenges.purpose, FLOW_PURPOSE),
        isNull(challenges.consumedAt),
        gt(challenges.expiresAt, flow.nowMs),
        lt(challenges.attempts, challenges.maxAttempts),
        sql`json_extract(${challenges.data}, '$.step') = ${flow.step}`,
        sql`json_extract(${challenges.data}, '$.resourceId') = ${flow.resourceId}`,
      ),
    )
    .returning({ data: challenges.data });
  return row?.data ?? null;
}

/**
 * Replaces the flow's data only while it is still at `fromStep` (compare-and-set: a flow another request moved on
 * meanwhile is not sent back). True when this request moved it.
 */
export async function moveFlow(d1: D1Database, flowId: string, fromStep: string, data: string): Promise<boolean> {
  const moved = await d1.prepare(`UPDATE challenges SET data = ? WHERE id = ? AND json_extract(data, '$.step') = ?`).bind(data, flowId, fromStep).run();
  return moved.meta.changes === 1;
}

/**
 * Moves the open flow on from `fromStep` and gives the next step fresh attempts, only for the one request whose
 * UPDATE matched (compare-and-set on the step: parallel right answers cannot each hand the next step new guesses).
 */
export function advanceFlowStatement(d1: D1Database, flowId: string, fromStep: string, data: string): D1PreparedStatement {
  return d1
    .prepare(`UPDATE challenges SET data = ?, attempts = 0 WHERE id = ? AND consumed_at IS NULL AND json_extract(data, '$.step') = ?`)
    .bind(data, flowId, fromStep);
}

/** Rewrites the flow's data within its step (the token a new code went to). */
export async function updateFlowData(d1: D1Database, flowId: string, data: string): Promise<void> {
  await createDb(d1).update(challenges).set({ data }).where(eq(challenges.id, flowId));
}

/** Deleting a user's open recovery request: signing in with the old data answered it. */
export function deleteOpenIssueStatement(d1: D1Database, userId: string): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).delete(userIssues).where(and(eq(userIssues.userId, userId), eq(userIssues.state, 'open'))));
}

// ---------------------------------------------------------------- the signed-in user

export type ProfileRow = Pick<UserRow, 'id' | 'login' | 'firstName' | 'lastName' | 'email' | 'phone' | 'language' | 'passwordHash'>;

export async function findProfileRow(d1: D1Database, userId: string): Promise<ProfileRow | null> {
  const [row] = await createDb(d1)
    .select({
      id: users.id,
      login: users.login,
      firstName: users.firstName,
      lastName: users.lastName,
      email: users.email,
      phone: users.phone,
      language: users.language,
      passwordHash: users.passwordHash,
    })
    .from(users)
    .where(eq(users.id, userId));
  return row ?? null;
}

/** Sets a first password, only while the user has none (a concurrent creation wins once: changes 0 for the other). */
export function createPasswordStatement(d1: D1Database, userId: string, passwordHash: string, nowMs: number): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).update(users).set({ passwordHash, updatedAt: nowMs }).where(and(eq(users.id, userId), isNull(users.passwordHash))));
}

/** Replaces the password only while it is still `previousHash`, the one just checked (compare-and-set). */
export function replacePasswordStatement(d1: D1Database, userId: string, previousHash: string, passwordHash: string, nowMs: number): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).update(users).set({ passwordHash, updatedAt: nowMs }).where(and(eq(users.id, userId), eq(users.passwordHash, previousHash))));
}

export function updateUserStatement(d1: D1Database, userId: string, changes: Partial<Pick<UserRow, 'email' | 'phone' | 'login' | 'firstName' | 'lastName'>>, nowMs: number): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).update(users).set({ ...changes, updatedAt: nowMs }).where(eq(users.id, userId)));
}

// ---------------------------------------------------------------- the user's assignment and tokens

export async function findAssignment(d1: D1Database, resourceId: string, userId: string): Promise<Pick<AssignmentRow, 'kind' | 'tokenId'> | null> {
  const [row] = await createDb(d1)
    .select({ kind: assignments.kind, tokenId: assignments.tokenId })
    .from(assignments)
    .where(and(eq(assignments.resourceId, resourceId), eq(assignments.userId, userId)));
  return row ?? null;
}

/** The user's assignment to the resource becomes "token with user" with this token, created or replaced. */
export function assignTokenStatement(d1: D1Database, assignment: { resourceId: string; userId: string; tokenId: string; nowMs: number }): D1PreparedStatement {
  return d1Statement(
    d1,
    createDb(d1)
      .insert(assignments)
      .values({ id: crypto.randomUUID(), resourceId: assignment.resourceId, userId: assignment.userId, kind: 'token_with_user', tokenId: assignment.tokenId, createdAt: assignment.nowMs })
      .onConflictDoUpdate({ target: [assignments.resourceId, assignments.userId], set: { kind: 'token_with_user', tokenId: sql`excluded.token_id` } }),
  );
}

/** On every resource, the user's "token with user" assignments of `previousTokenId` name `tokenId` instead. */
export function moveAssignmentsStatement(d1: D1Database, userId: string, previousTokenId: string, tokenId: string): D1PreparedStatement {
  return d1Statement(
    d1,
    createDb(d1)
      .update(assignments)
      .set({ tokenId })
      .where(and(eq(assignments.userId, userId), eq(assignments.tokenId, previousTokenId), eq(assignments.kind, 'token_with_user'))),
  );
}

export function disableOwnTokenStatement(d1: D1Database, userId: string, tokenId: string): D1PreparedStatement {
  return d1Statement(d1, createDb(d1).update(tokens).set({ enabled: false }).where(and(eq(tokens.id, tokenId), eq(tokens.ownerUserId, userId))));
}

/** "Token with user" on this resource becomes "user"; false when there was no token assigned. */
export async function unassignToken(d1: D1Database, resourceId: string, userId: string): Promise<boolean> {
  const result = await createDb(d1)
    .update(assignments)
    .set({ kind: 'user', tokenId: null })
    .where(and(eq(assignments.resourceId, resourceId), eq(assignments.userId, userId), eq(assignments.kind, 'token_with_user')));
  return result.meta.changes > 0;
}

/** The user's enabled, activated passkeys, oldest first. */
export async function ownPasskeyIds(d1: D1Database, userId: string): Promise<string[]> {
  const rows = await createDb(d1)
    .select({ id: tokens.id })
    .from(tokens)
    .where(and(eq(tokens.ownerUserId, userId), eq(tokens.type, 'PASSKEY'), eq(tokens.enabled, true), eq(tokens.activated, true)))
    .orderBy(asc(tokens.createdAt));
  return rows.map((row) => row.id);
}

/** The id of the token with this serial, compared case-insensitively. */
export async function findTokenIdBySerial(d1: D1Database, serial: string): Promise<string | null> {
  const [row] = await createDb(d1)
    .select({ id: tokens.id })
    .from(tokens)
    .where(sql`lower(${tokens.serial}) = lower(${serial})`)
    .limit(1);
  return row?.id ?? null;
}

/**
 * Makes the token the user's, only while it is unowned or already theirs: of two users claiming one token at once,
 * exactly one UPDATE matches. True for the claim that did.
 */
export async function claimTokenOwnership(d1: D1Database, tokenId: string, userId: string): Promise<boolean> {
  const result = await createDb(d1)
    .update(tokens)
    .set({ ownerUserId: userId })
    .where(and(eq(tokens.id, tokenId), sql`(${tokens.ownerUserId} IS NULL OR ${tokens.ownerUserId} = ${userId})`));
  return result.meta.changes === 1;
}

// ---------------------------------------------------------------- administrators

/** Enabled administrators with an email address, for notifications. */
export async function adminsWithEmail(d1: D1Database): Promise<Array<Pick<UserRow, 'id' | 'language'> & { email: string }>> {
  const rows = await createDb(d1)
    .select({ id: users.id, email: users.email, language: users.language })
    .from(users)
    .where(and(eq(users.isAdmin, true), eq(users.enabled, true), ne(users.email, '')));
  return rows.flatMap((row) => (row.email ? [{ ...row, email: row.email }] : []));
}
