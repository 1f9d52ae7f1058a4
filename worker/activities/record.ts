/**
 * Security activity log. Every sign-in path records here (/login, portal, SAML, verify API); the admin center's
 * "User Activities" reads it. Public activity names are the product's, spelled as they are.
 */
import type { UserActivityType } from '../db/schema';

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

/** The statement, for callers that put it into their own D1 batch. */
export function activityStatement(db: D1Database, input: ActivityInput): D1PreparedStatement {
  return db
    .prepare(
      'INSERT INTO user_activities (id, user_id, login, type, channel, ip, client, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .bind(...activityValues(input));
}

/**
 * The same insert, written only when `condition` (SQL, no parameters) holds when the statement runs: for a batch
 * where the row must say what an earlier statement of that batch did (the verify API logs a success only when
 * its consume UPDATE changed the token: `CONSUMED_BY_PREVIOUS_STATEMENT` in otp/verify-service.ts).
 */
export function activityStatementIf(db: D1Database, input: ActivityInput, condition: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO user_activities (id, user_id, login, type, channel, ip, client, detail, at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${condition}`,
    )
    .bind(...activityValues(input));
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

function activityValues(input: ActivityInput): unknown[] {
  return [
    crypto.randomUUID(),
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
