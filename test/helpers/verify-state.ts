/**
 * In object mode (the worker-object project) a verify's effects reach D1 with the object's flush, after the answer:
 * the token's mirrored columns (counter, step, fail count, lock), the success activity and the admin's audit row.
 * Tests that read those from D1 right after a verify wait for the flush first; in the d1 mode it returns at once.
 */
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { readTokenOwner } from '../../worker/verify-state/repo';
import { verifyStateSettled } from '../../worker/verify-state/client';

/** Waits until D1 holds everything the objects of these tokens owed it (fails the test if D1 refused the flush). */
export async function settled(...tokenIds: string[]): Promise<void> {
  for (const id of tokenIds) {
    const owner = await readTokenOwner(env.DB, id);
    if (owner === undefined) continue;
    expect(await verifyStateSettled(env, { id, owner_user_id: owner })).toBe(true);
  }
}

/** Waits for the flush of every token this user owns (for reads of the user's activities). */
export async function settledForUser(userId: string): Promise<void> {
  const { results } = await env.DB.prepare('SELECT id FROM tokens WHERE owner_user_id = ?').bind(userId).all<{ id: string }>();
  await settled(...results.map((row) => row.id));
}
