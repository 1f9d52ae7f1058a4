/**
 * The D1 statements of the verification state's side (client.ts and object.ts): the token's owner, read to tell
 * the right objects of an admin change, and the mirror of a token's hot state the object writes to D1.
 */
import { eq } from 'drizzle-orm';
import { createDb } from '../db/client';
import { tokens } from '../db/schema';
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
