/**
 * The statements of the verify API's read batch (service.ts decide): the rate limit row and what a verify reads of
 * the resource, the user, their assignment and the tokens it answers for. SQL, not the query builder: the resource
 * and the user are resolved inside D1 from what the caller sent, in the same batch as the API key check.
 */
import type { assignments, resources, users } from '../db/schema';
import type { RateLimitHitRow } from '../lib/repo';
import { TOKEN_RECORD_COLUMNS, type TokenRecord } from '../tokens/repo';
import { tokensVerifiedAtSql } from '../tokens/accepted-tokens';

type UserRow = typeof users.$inferSelect;
type AssignmentRow = typeof assignments.$inferSelect;

/** The resource a caller names, by its id or its name; the user, by the identity key of the login (?2 / $.loginKey). */
export const resourceIdOf = (param: string) => `SELECT id FROM resources WHERE id = ${param} OR lower(name) = lower(${param}) LIMIT 1`;
export const userIdOf = (loginKeyParam: string) => `SELECT id FROM users WHERE login_key = ${loginKeyParam}`;

/**
 * The verify rate limit's key, computed in the read batch from the caller's {loginKey, login, resource} (JSON in
 * ?1): the RESOLVED user id and resource id, so every spelling that reaches the same user on the same resource
 * (the resource's name or its id, the login in another case or compatibility form) spends the same
 * VERIFY_ATTEMPTS_PER_USER. A login or resource nobody has keeps its own spelling: nothing is guessed there.
 */
export const VERIFY_RATE_LIMIT_KEY_SQL = `'verify:'
  || coalesce((${userIdOf("json_extract(?1, '$.loginKey')")}), 'login:' || coalesce(json_extract(?1, '$.loginKey'), lower(json_extract(?1, '$.login'))))
  || ':' || coalesce((${resourceIdOf("json_extract(?1, '$.resource')")}), 'resource:' || lower(json_extract(?1, '$.resource')))`;

/** The verify rate limit's row for the caller's {loginKey, login, resource} (JSON), read without a hit. */
export function verifyRateLimitRowStatement(db: D1Database, rateLimitInput: string): D1PreparedStatement {
  return db.prepare(`SELECT count, expires_at FROM rate_limits WHERE key = ${VERIFY_RATE_LIMIT_KEY_SQL}`).bind(rateLimitInput);
}

/**
 * The resource the caller names, the user of `loginKey`, their assignment there, and the tokens this resource's
 * verification answers for (the one rule, tokens/accepted-tokens.ts), in that order.
 */
export function verifyTargetStatements(db: D1Database, resource: string, loginKey: string | null): D1PreparedStatement[] {
  const resourceId = resourceIdOf('?1');
  const userId = userIdOf('?2');
  return [
    db.prepare(resourceId).bind(resource),
    db.prepare(`SELECT id, enabled, login, first_name, language FROM users WHERE id = (${userIdOf('?1')})`).bind(loginKey),
    db.prepare(`SELECT id, kind, token_id FROM assignments WHERE resource_id = (${resourceId}) AND user_id = (${userId})`).bind(resource, loginKey),
    db.prepare(`SELECT ${TOKEN_RECORD_COLUMNS} FROM tokens WHERE ${tokensVerifiedAtSql(`(${resourceId})`, `(${userId})`)} ORDER BY created_at`).bind(resource, loginKey),
  ];
}

/**
 * The rows of a batch's verifyRateLimitRowStatement (or the claim in its place) and verifyTargetStatements, typed
 * as those SELECTs name their columns: D1 answers in SQLite's own values, so `enabled` is 0 or 1 here, where the
 * query builder would give a boolean.
 */
export function verifyRowsOf([limitRows, resourceRows, userRows, assignmentRows, tokenRows]: D1Result[]) {
  return {
    limit: (limitRows as D1Result<RateLimitHitRow>).results[0],
    resource: (resourceRows as D1Result<{ id: (typeof resources.$inferSelect)['id'] }>).results[0],
    user: (userRows as D1Result<{ id: UserRow['id']; enabled: number; login: UserRow['login']; first_name: UserRow['firstName']; language: UserRow['language'] }>).results[0],
    assignment: (assignmentRows as D1Result<{ id: AssignmentRow['id']; kind: AssignmentRow['kind']; token_id: AssignmentRow['tokenId'] }>).results[0],
    tokens: (tokenRows as D1Result<TokenRecord>).results,
  };
}
