/**
 * Every statement on users. Row types come from worker/db/schema.ts; a change goes in one D1 batch with its admin
 * audit row, right after the statement whose effect it records.
 */
import { and, asc, count, eq, or, sql } from 'drizzle-orm';
import { ACTIVITY_RETENTION_DAYS, DAY_MS } from '../constants';
import { createDb, d1Statement } from '../db/client';
import { resources, sessions, userActivities, userIssues, users } from '../db/schema';
import { likeSearch } from '../lib/paging';

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;

/**
 * SQL condition on the `users` row being changed: it is not the last enabled administrator. Demoting, disabling
 * and deleting are conditioned on it in the same statement, never counted first: SQLite runs one statement at a
 * time, so of two concurrent demotions of the last two admins the second finds no other admin and changes nothing.
 */
export const NOT_THE_LAST_ADMIN = `(NOT (users.is_admin = 1 AND users.enabled = 1)
  OR EXISTS (SELECT 1 FROM users AS other WHERE other.id != users.id AND other.is_admin = 1 AND other.enabled = 1))`;

export async function listUserRows(d1: D1Database, query: { search?: string; page: number; pageSize: number }): Promise<{ rows: UserRow[]; total: number }> {
  const db = createDb(d1);
  const where = query.search
    ? or(likeSearch(users.login, query.search), likeSearch(users.firstName, query.search), likeSearch(users.lastName, query.search), likeSearch(users.email, query.search))
    : undefined;
  const [rows, [totals]] = await db.batch([
    db
      .select()
      .from(users)
      .where(where)
      .orderBy(asc(sql`lower(${users.login})`))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(users).where(where),
  ]);
  return { rows, total: totals?.total ?? 0 };
}

export async function readUserRow(d1: D1Database, id: string): Promise<UserRow | undefined> {
  return createDb(d1).select().from(users).where(eq(users.id, id)).get();
}

/** What a message to the user needs: how to greet them, where to write, in which language. */
export async function readUserContact(d1: D1Database, userId: string) {
  return createDb(d1).select({ login: users.login, firstName: users.firstName, email: users.email, language: users.language }).from(users).where(eq(users.id, userId)).get();
}

export async function insertUserRow(d1: D1Database, row: NewUserRow, audit: D1PreparedStatement): Promise<void> {
  await d1.batch([d1Statement(d1, createDb(d1).insert(users).values(row)), audit]);
}

/**
 * Changes the user with its audit row; a change that demotes or disables is conditioned on NOT_THE_LAST_ADMIN. A
 * disabled user's sessions end in the same batch, not a request later. False: no row changed (no such user, or
 * the last admin).
 */
export async function updateUserRow(d1: D1Database, id: string, changes: Partial<NewUserRow>, removesAdmin: boolean, audit: D1PreparedStatement): Promise<boolean> {
  const db = createDb(d1);
  const [updated] = await d1.batch([
    d1Statement(d1, db.update(users).set(changes).where(removesAdmin ? and(eq(users.id, id), sql.raw(NOT_THE_LAST_ADMIN)) : eq(users.id, id))),
    audit,
    d1Statement(d1, db.delete(sessions).where(and(eq(sessions.userId, id), sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${id} AND ${users.enabled} = 0)`))),
  ]);
  return updated!.meta.changes > 0;
}

/** Sets the password hash (null: none); every session of the user ends in the same batch. False: no such user. */
export async function setPasswordHashRow(d1: D1Database, id: string, passwordHash: string | null, nowMs: number, audit: D1PreparedStatement): Promise<boolean> {
  const db = createDb(d1);
  const [updated] = await d1.batch([
    d1Statement(d1, db.update(users).set({ passwordHash, updatedAt: nowMs }).where(eq(users.id, id))),
    audit,
    d1Statement(d1, db.delete(sessions).where(and(eq(sessions.userId, id), sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${id})`))),
  ]);
  return updated!.meta.changes > 0;
}

/** Deletes the user unless they are the last admin (assignments and memberships cascade). False: nothing deleted. */
export async function deleteUserRow(d1: D1Database, id: string, audit: D1PreparedStatement): Promise<boolean> {
  const [deleted] = await d1.batch([d1Statement(d1, createDb(d1).delete(users).where(and(eq(users.id, id), sql.raw(NOT_THE_LAST_ADMIN)))), audit]);
  return deleted!.meta.changes > 0;
}

/** The user's latest activities within the retention, newest first. */
export async function listRecentActivityRows(d1: D1Database, userId: string, nowMs: number, limit: number) {
  return createDb(d1)
    .select({ id: userActivities.id, type: userActivities.type, channel: userActivities.channel, ip: userActivities.ip, at: userActivities.at })
    .from(userActivities)
    .where(and(eq(userActivities.userId, userId), sql`${userActivities.at} >= ${nowMs - ACTIVITY_RETENTION_DAYS * DAY_MS}`))
    .orderBy(sql`${userActivities.at} DESC, ${userActivities}.rowid DESC`)
    .limit(limit);
}

/** The user's open access recovery requests, with the resource each was made at. */
export async function listOpenIssueRows(d1: D1Database, userId: string) {
  return createDb(d1)
    .select({ id: userIssues.id, lost: userIssues.lost, createdAt: userIssues.createdAt, resource: resources.name })
    .from(userIssues)
    .leftJoin(resources, eq(resources.id, userIssues.resourceId))
    .where(and(eq(userIssues.userId, userId), eq(userIssues.state, 'open')));
}

/** The sign-in lock's reset (auth/login-lock.ts builds it: the lock is kept per login name) with its audit row. */
export async function clearLoginLockRows(d1: D1Database, clearFailures: D1PreparedStatement, audit: D1PreparedStatement): Promise<void> {
  await d1.batch([clearFailures, audit]);
}
