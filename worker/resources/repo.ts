/**
 * Every statement on resources and their assignments. Row types come from worker/db/schema.ts; a change goes in one
 * D1 batch with its admin audit row, right after the statement whose effect it records.
 */
import { and, asc, count, eq, getTableColumns, isNull, or, sql } from 'drizzle-orm';
import { createDb, d1Statement } from '../db/client';
import { assignments, resources, tokens, users } from '../db/schema';
import { likeSearch } from '../lib/paging';

export type AssignmentKind = (typeof assignments.$inferSelect)['kind'];

/**
 * A resource with how many users are assigned to it (one assignment per user and resource). The subquery names its
 * columns with their tables: drizzle writes a column in a `sql` template unqualified, and an unqualified "id" inside
 * the subquery would be the assignment's own id, so every resource counted 0.
 */
const resourceSelection = {
  ...getTableColumns(resources),
  userCount: sql<number>`(SELECT count(*) FROM assignments WHERE assignments.resource_id = resources.id)`,
};
export type ResourceRow = typeof resources.$inferSelect & { userCount: number };

export async function listResourceRows(d1: D1Database, query: { search?: string; page: number; pageSize: number }): Promise<{ rows: ResourceRow[]; total: number }> {
  const db = createDb(d1);
  const where = query.search ? or(likeSearch(resources.name, query.search), likeSearch(resources.description, query.search)) : undefined;
  const [rows, [totals]] = await db.batch([
    db
      .select(resourceSelection)
      .from(resources)
      .where(where)
      .orderBy(asc(sql`lower(${resources.name})`))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(resources).where(where),
  ]);
  return { rows, total: totals?.total ?? 0 };
}

export async function readResourceRow(d1: D1Database, id: string): Promise<ResourceRow | undefined> {
  return createDb(d1).select(resourceSelection).from(resources).where(eq(resources.id, id)).get();
}

export async function insertResourceRow(d1: D1Database, row: typeof resources.$inferInsert, audit: D1PreparedStatement): Promise<void> {
  await d1.batch([d1Statement(d1, createDb(d1).insert(resources).values(row)), audit]);
}

/** False when there is no such resource. */
export async function updateResourceRow(d1: D1Database, id: string, changes: Partial<Pick<typeof resources.$inferInsert, 'name' | 'description'>>, audit: D1PreparedStatement): Promise<boolean> {
  const [updated] = await d1.batch([d1Statement(d1, createDb(d1).update(resources).set(changes).where(eq(resources.id, id))), audit]);
  return updated!.meta.changes > 0;
}

/** Deletes the resource; its assignments cascade. False when there is no such resource. */
export async function deleteResourceRow(d1: D1Database, id: string, audit: D1PreparedStatement): Promise<boolean> {
  const [deleted] = await d1.batch([d1Statement(d1, createDb(d1).delete(resources).where(eq(resources.id, id))), audit]);
  return deleted!.meta.changes > 0;
}

// ---------------------------------------------------------------- assignments

export async function listAssignmentRows(
  d1: D1Database,
  resourceId: string,
  query: { kind?: AssignmentKind; search?: string; page: number; pageSize: number },
) {
  const db = createDb(d1);
  const where = and(
    eq(assignments.resourceId, resourceId),
    query.kind ? eq(assignments.kind, query.kind) : undefined,
    query.search ? or(likeSearch(users.login, query.search), likeSearch(tokens.serial, query.search)) : undefined,
  );
  const [rows, [totals]] = await db.batch([
    db
      .select({
        id: assignments.id,
        kind: assignments.kind,
        userId: assignments.userId,
        login: users.login,
        firstName: users.firstName,
        lastName: users.lastName,
        tokenId: assignments.tokenId,
        serial: tokens.serial,
        type: tokens.type,
        enabled: tokens.enabled,
        createdAt: assignments.createdAt,
      })
      .from(assignments)
      .innerJoin(users, eq(users.id, assignments.userId))
      .leftJoin(tokens, eq(tokens.id, assignments.tokenId))
      .where(where)
      .orderBy(asc(sql`lower(${users.login})`))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(assignments).innerJoin(users, eq(users.id, assignments.userId)).leftJoin(tokens, eq(tokens.id, assignments.tokenId)).where(where),
  ]);
  return { rows, total: totals?.total ?? 0 };
}

/**
 * Assigns `userId` to the resource (replacing their earlier assignment there) with the audit row, in one batch. With
 * a token, an unowned token becomes the user's first: the condition `owner_user_id IS NULL` never takes one from
 * another owner, whatever was read before.
 */
export async function upsertAssignment(
  d1: D1Database,
  assignment: { resourceId: string; userId: string; tokenId: string | null; nowMs: number },
  audit: D1PreparedStatement,
): Promise<void> {
  const db = createDb(d1);
  const kind: AssignmentKind = assignment.tokenId ? 'token_with_user' : 'user';
  await d1.batch([
    ...(assignment.tokenId
      ? [d1Statement(d1, db.update(tokens).set({ ownerUserId: assignment.userId }).where(and(eq(tokens.id, assignment.tokenId), isNull(tokens.ownerUserId))))]
      : []),
    d1Statement(
      d1,
      db
        .insert(assignments)
        .values({ id: crypto.randomUUID(), resourceId: assignment.resourceId, userId: assignment.userId, kind, tokenId: assignment.tokenId, createdAt: assignment.nowMs })
        .onConflictDoUpdate({ target: [assignments.resourceId, assignments.userId], set: { kind: sql`excluded.kind`, tokenId: sql`excluded.token_id` } }),
    ),
    audit,
  ]);
}

/** False when the user was not assigned to the resource. */
export async function deleteAssignment(d1: D1Database, resourceId: string, userId: string, audit: D1PreparedStatement): Promise<boolean> {
  const [deleted] = await d1.batch([
    d1Statement(d1, createDb(d1).delete(assignments).where(and(eq(assignments.resourceId, resourceId), eq(assignments.userId, userId)))),
    audit,
  ]);
  return deleted!.meta.changes > 0;
}

/** An assignment as the audit trail names it (resource name, login, kind, token serial), or undefined. */
export async function readAssignmentNames(d1: D1Database, resourceId: string, userId: string) {
  return createDb(d1)
    .select({ resource: resources.name, user: users.login, kind: assignments.kind, token: tokens.serial })
    .from(assignments)
    .innerJoin(resources, eq(resources.id, assignments.resourceId))
    .innerJoin(users, eq(users.id, assignments.userId))
    .leftJoin(tokens, eq(tokens.id, assignments.tokenId))
    .where(and(eq(assignments.resourceId, resourceId), eq(assignments.userId, userId)))
    .get();
}

/** Every assignment of one user: the resource, the kind and the token it names, by resource name. */
export async function listAssignmentsOfUser(d1: D1Database, userId: string) {
  return createDb(d1)
    .select({ id: resources.id, name: resources.name, kind: assignments.kind, tokenId: assignments.tokenId, serial: tokens.serial })
    .from(assignments)
    .innerJoin(resources, eq(resources.id, assignments.resourceId))
    .leftJoin(tokens, eq(tokens.id, assignments.tokenId))
    .where(eq(assignments.userId, userId))
    .orderBy(asc(sql`lower(${resources.name})`));
}

