/**
 * The D1 statements of the verification state's side (client.ts, object.ts, warm.ts): the token's owner, read to
 * tell the right objects of an admin change, the mirror of a token's hot state the object writes to D1, and the
 * warm path's claim of a verify attempt under the conditions of the isolate's copy.
 */
import { eq } from 'drizzle-orm';
import { createDb } from '../db/client';
import { tokens } from '../db/schema';
import { rateLimitHitStatement } from '../lib/repo';
import type { HotState } from './object';

/** The token's owner (null: nobody), or undefined when there is no such token. */
export async function readTokenOwner(db: D1Database, tokenId: string): Promise<string | null | undefined> {
  const row = await createDb(db).select({ ownerUserId: tokens.ownerUserId }).from(tokens).where(eq(tokens.id, tokenId)).get();
  return row?.ownerUserId;
}

/**
 * D1's mirror of a token's hot state (rule 1: for the admin's screens, never read to decide). The counter and step
 * only ever rise here (max), so D1 stays a floor the next object can start from (rule 7) whatever order two writes
 * land in. A consume also marks the token activated (the admin's Check OTP and enrolment confirm a pending token).
 */
export function mirrorStatement(db: D1Database, tokenId: string, state: HotState, consumed: boolean): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE tokens SET
         counter = max(counter, ?1),
         drift_steps = CASE WHEN ?2 >= last_used_step THEN ?3 ELSE drift_steps END,
         last_used_step = max(last_used_step, ?2),
         fail_count = ?4, locked_until = ?5, last_used_at = coalesce(?6, last_used_at)${consumed ? ', activated = 1' : ''}
       WHERE id = ?7`,
    )
    .bind(state.counter, state.last_used_step, state.drift_steps, state.fail_count, state.locked_until, state.last_used_at, tokenId);
}

/** What the object mode's warm path claims its attempt under: the copy's rows as the isolate holds them. */
export interface WarmCopyFacts {
  apiKeyHash: string;
  userId: string;
  loginKey: string;
  resourceId: string;
  /** The resource exactly as the caller spells it (its id or its name). */
  resource: string;
  assignment: { id: string; kind: string; token_id: string | null };
  tokenId: string;
  /** The token columns the object's check is computed from, as the copy has them. */
  tokenColumns: Record<string, unknown>;
}

/**
 * The object mode's warm path claims the request's verify attempt (the cold path's rate-limit key, resolved to the
 * copy's ids) in ONE statement that counts it only while D1 still holds what the copy says: the API key usable for
 * verify now, the user enabled under the same identity key, the resource under the same id or name, the same
 * assignment, the token's columns unchanged. So a revoked key, a disabled user, a removed or changed assignment, a
 * disabled, re-seeded or re-PINned token refuses here, before the object is asked; no row: nothing was counted, and
 * the cold path decides. The facts travel as one JSON parameter (?5), read with json_extract; `validApiKey` builds
 * the key condition over a placeholder of the hash, and may name the clock as ?2 (rateLimitHitStatement binds it).
 */
export function warmAttemptStatement(db: D1Database, facts: WarmCopyFacts, nowMs: number, limit: number, windowMs: number, validApiKey: (param: string) => string): D1PreparedStatement {
  const fact = (path: string) => `json_extract(?5, '$.${path}')`;
  const tokenColumns = Object.keys(facts.tokenColumns).map((column) => {
    if (!/^[a-z_]+$/.test(column)) throw new Error(`not a token column: ${column}`);
    return `tokens.${column} IS ${fact(`tokenColumns.${column}`)}`;
  });
  const condition = `EXISTS (SELECT 1 FROM tokens WHERE tokens.id = ${fact('tokenId')} AND ${tokenColumns.join(' AND ')})
    AND EXISTS (SELECT 1 FROM users WHERE users.id = ${fact('userId')} AND users.login_key = ${fact('loginKey')} AND users.enabled = 1)
    AND EXISTS (SELECT 1 FROM resources WHERE resources.id = ${fact('resourceId')} AND (resources.id = ${fact('resource')} OR lower(resources.name) = lower(${fact('resource')})))
    AND EXISTS (SELECT 1 FROM assignments WHERE assignments.id = ${fact('assignment.id')} AND assignments.resource_id = ${fact('resourceId')}
                AND assignments.user_id = ${fact('userId')} AND assignments.kind = ${fact('assignment.kind')} AND assignments.token_id IS ${fact('assignment.token_id')})
    AND ${validApiKey(fact('apiKeyHash'))}`;
  return rateLimitHitStatement(db, {
    key: `verify:${facts.userId}:${facts.resourceId}`,
    limit,
    windowMs,
    nowMs,
    onlyIf: { condition, value: JSON.stringify(facts) },
    keySql: '?1',
  });
}
