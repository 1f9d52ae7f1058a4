/**
 * Every statement on the security activity log: the rows every sign-in path writes (often inside its own D1 batch:
 * /login, portal, SAML, verify API) and what the admin center's "User Activities" reads of them. Public activity
 * names are the product's, spelled as they are. Row types come from worker/db/schema.ts.
 */
import { and, count, desc, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import { ACTIVITY_RETENTION_DAYS, DAY_MS } from '../constants';
import { createDb } from '../db/client';
import { userActivities, users, type UserActivityType } from '../db/schema';
import { likeSearch } from '../lib/paging';

export type ActivityRow = typeof userActivities.$inferSelect;

export interface ActivityInput {
  type: UserActivityType;
  userId: string | null;
  login?: string | null;
  channel: 'login' | 'portal' | 'saml' | 'api' | 'admin';
  ip?: string | null;
  client?: string | null;
  detail?: Record<string, unknown>;
  nowMs: number;
}

// ---------------------------------------------------------------- writing

/** The statement, for callers that put it into their own D1 batch. */
export function activityStatement(db: D1Database, input: ActivityInput): D1PreparedStatement {
  return db
    .prepare('INSERT INTO user_activities (id, user_id, login, type, channel, ip, client, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .bind(...activityValues(input));
}

/**
 * The same insert, written only when `condition` (SQL, no parameters) holds when the statement runs: for a batch
 * where the row must say what an earlier statement of that batch did (the verify API logs a success only when
 * its consume UPDATE changed the token: `CONSUMED_BY_PREVIOUS_STATEMENT` in tokens/repo.ts).
 */
export function activityStatementIf(db: D1Database, input: ActivityInput, condition: string): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO user_activities (id, user_id, login, type, channel, ip, client, detail, at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${condition}`)
    .bind(...activityValues(input));
}

/**
 * The insert under an id chosen before (the verification state object's outbox, worker/verify-state/object.ts):
 * sent twice it writes one row; a user deleted meanwhile drops the row instead of failing the batch forever.
 */
export function activityStatementOnce(db: D1Database, id: string, input: ActivityInput): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO user_activities (id, user_id, login, type, channel, ip, client, detail, at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE ?2 IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = ?2)
       ON CONFLICT (id) DO NOTHING`,
    )
    .bind(...activityValues(input, id));
}

/** The insert with the user's login read in the same statement, as it is at this moment. */
export function activityOfUserStatement(db: D1Database, input: Omit<ActivityInput, 'login'>): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO user_activities (id, user_id, login, type, channel, ip, client, detail, at)
       SELECT ?1, ?2, (SELECT login FROM users WHERE id = ?2), ?3, ?4, ?5, ?6, ?7, ?8`,
    )
    .bind(crypto.randomUUID(), input.userId, input.type, input.channel, input.ip ?? null, input.client ?? null, JSON.stringify(input.detail ?? {}), input.nowMs);
}

function activityValues(input: ActivityInput, id: string = crypto.randomUUID()): unknown[] {
  return [
    id,
    input.userId,
    input.login ?? null,
    input.type,
    input.channel,
    input.ip ?? null,
    input.client ?? null,
    JSON.stringify(input.detail ?? {}),
    input.nowMs,
  ];
}

export async function recordActivity(db: D1Database, input: ActivityInput): Promise<void> {
  await activityStatement(db, input).run();
}

// ---------------------------------------------------------------- reading

export interface ActivityRowFilter {
  /** Matches the user's login (or the login typed at a failed attempt). */
  user?: string;
  type?: UserActivityType;
}

/** The login shown: the user's current one, else the one typed at a failed attempt by an unknown login. */
const shownLogin = sql<string | null>`coalesce(${users.login}, ${userActivities.login})`;
const rowid = sql<number>`${userActivities}.rowid`;

/** Only the last ACTIVITY_RETENTION_DAYS: older rows are never shown or counted, even before the purge runs. */
function filterWhere(filter: ActivityRowFilter, nowMs: number): SQL | undefined {
  return and(
    gte(userActivities.at, nowMs - ACTIVITY_RETENTION_DAYS * DAY_MS),
    filter.user ? likeSearch(shownLogin, filter.user) : undefined,
    filter.type ? eq(userActivities.type, filter.type) : undefined,
  );
}

const activityColumns = {
  id: userActivities.id,
  userId: userActivities.userId,
  login: shownLogin,
  type: userActivities.type,
  channel: userActivities.channel,
  ip: userActivities.ip,
  client: userActivities.client,
  detail: userActivities.detail,
  at: userActivities.at,
};

/** One page of the filter's activities, newest first. */
export async function listActivityRows(d1: D1Database, filter: ActivityRowFilter & { page: number; pageSize: number }, nowMs: number) {
  const db = createDb(d1);
  const where = filterWhere(filter, nowMs);
  const [rows, [totals]] = await db.batch([
    db
      .select(activityColumns)
      .from(userActivities)
      .leftJoin(users, eq(users.id, userActivities.userId))
      .where(where)
      .orderBy(desc(userActivities.at), desc(rowid))
      .limit(filter.pageSize)
      .offset((filter.page - 1) * filter.pageSize),
    db.select({ total: count() }).from(userActivities).leftJoin(users, eq(users.id, userActivities.userId)).where(where),
  ]);
  return { rows, total: totals?.total ?? 0 };
}

/** Where a CSV export's last chunk ended: the keyset (at, rowid) of its last row. */
export interface ActivityKeyset {
  at: number;
  rowid: number;
}

/** The next `limit` activities of the filter after `after` (newest first), for the CSV export. */
export async function listActivityRowsAfter(d1: D1Database, filter: ActivityRowFilter, after: ActivityKeyset | null, limit: number, nowMs: number) {
  const keyset = after ? or(lt(userActivities.at, after.at), and(eq(userActivities.at, after.at), sql`${rowid} < ${after.rowid}`)) : undefined;
  return createDb(d1)
    .select({ ...activityColumns, rowid })
    .from(userActivities)
    .leftJoin(users, eq(users.id, userActivities.userId))
    .where(and(filterWhere(filter, nowMs), keyset))
    .orderBy(desc(userActivities.at), desc(rowid))
    .limit(limit);
}

/**
 * One activity type's count within one group of the grouped view: the columns as the schema types them, the group's
 * latest time as its `at`; the group key (a user id, or 'login:' and the login typed) and the count are computed.
 */
export type ActivityGroupCount = Pick<ActivityRow, 'userId' | 'login' | 'type'> & { groupKey: string; lastAt: ActivityRow['at']; count: number };

/**
 * The filter's activities grouped per user, a page of groups (by their latest activity), one row per group and
 * type. Failed attempts by unknown logins have no user id: they group by the login typed.
 */
export async function listActivityGroupRows(d1: D1Database, filter: ActivityRowFilter & { page: number; pageSize: number }, nowMs: number): Promise<{ rows: ActivityGroupCount[]; total: number }> {
  const db = createDb(d1);
  const filtered = sql`filtered AS (
    SELECT coalesce(${userActivities.userId}, 'login:' || lower(${userActivities.login})) AS k, ${userActivities.userId} AS user_id, ${shownLogin} AS login,
           ${userActivities.type} AS type, ${userActivities.at} AS at
    FROM ${userActivities} LEFT JOIN ${users} ON ${users.id} = ${userActivities.userId} WHERE ${filterWhere(filter, nowMs)})`;
  const [rows, totals] = await Promise.all([
    db.all<ActivityGroupCount>(sql`WITH ${filtered},
      page AS (SELECT k, max(at) AS last_at FROM filtered GROUP BY k ORDER BY last_at DESC LIMIT ${filter.pageSize} OFFSET ${(filter.page - 1) * filter.pageSize})
      SELECT page.k AS groupKey, page.last_at AS lastAt, max(f.user_id) AS userId, max(f.login) AS login, f.type AS type, count(*) AS count
      FROM filtered f JOIN page ON page.k = f.k GROUP BY page.k, f.type ORDER BY page.last_at DESC, page.k`),
    db.all<{ total: number }>(sql`WITH ${filtered} SELECT count(DISTINCT k) AS total FROM filtered`),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}
