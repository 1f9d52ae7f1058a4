/**
 * The Worker's side of the per-user verification state object (object.ts): which design runs (VERIFY_STATE), which
 * object a token's state lives in, and the epoch protocol. The D1 mirror and the verify API's success activity are
 * the object's to write (its outbox, object.ts), after it answered.
 *
 * VERIFY_STATE = "durable-object" makes every check of a TOTP/HOTP/OCRA token go to its owner's object: it is
 * wired into VerifyKeys (tokens/service.ts verifyKeysOf), which every door passes to tokens/verification.ts (verify
 * API, /login's second factor, portal sign-in, step-up, the admin's Check OTP, resync), so a code consumed at one
 * door is consumed for all. Anything else (unset, "d1") keeps the hot state in D1's token rows, as before.
 */
import { VERIFY_WARM_COPIES_MAX } from '../constants';
import type { MiddlewareHandler } from 'hono';
import type { AppBindings, Env } from '../env';
import { AppError } from '../errors';
import { readTokenRecord } from '../tokens/repo';
import type { HotStateAccess, TokenRecord, VerifyResult } from '../tokens/verification';
import type { AdminChange, HotState, ObjectAnswer, VerifyStateObject } from './object';
import { readTokenOwner } from './repo';

export type VerifyStateMode = 'd1' | 'durable-object';

export function verifyStateMode(env: Pick<Env, 'VERIFY_STATE'>): VerifyStateMode {
  return env.VERIFY_STATE === 'durable-object' ? 'durable-object' : 'd1';
}

type StateEnv = Pick<Env, 'DB' | 'VERIFY_STATE' | 'VERIFY_STATE_OBJECT'>;

/** The object's name: the token's owner; a token nobody owns (the admin's Check OTP of a spare token) has its own. */
export const objectNameOf = (token: Pick<TokenRecord, 'id' | 'owner_user_id'>) => (token.owner_user_id ? `user:${token.owner_user_id}` : `token:${token.id}`);

function stubOf(env: StateEnv, name: string): DurableObjectStub<VerifyStateObject> {
  const namespace = env.VERIFY_STATE_OBJECT;
  if (!namespace) throw new Error('VERIFY_STATE is "durable-object" but the VERIFY_STATE_OBJECT binding is missing (wrangler.toml)');
  return namespace.get(namespace.idFromName(name));
}

/**
 * The newest epoch this isolate heard from each object, and when (bounded like the warm copies, the least recently
 * used dropped first). A check sends it only if it was heard before the request began (`nowMs`, taken before the
 * caller read the token from D1): an epoch learned later, from an admin change or another request, might be newer
 * than the record, and would let the object accept that record. Unknown or dropped, it costs a `stale` round trip.
 */
const epochs = new Map<string, { epoch: number; learnedAtMs: number }>();
const EPOCHS_KEPT_MAX = VERIFY_WARM_COPIES_MAX;

function learnEpoch(name: string, epoch: number): void {
  epochs.delete(name);
  if (epochs.size >= EPOCHS_KEPT_MAX) epochs.delete(epochs.keys().next().value!);
  epochs.set(name, { epoch, learnedAtMs: Date.now() });
}

function epochKnownBefore(name: string, nowMs: number): number | null {
  const known = epochs.get(name);
  return known && known.learnedAtMs < nowMs ? known.epoch : null;
}

/** The VerifyKeys part that routes checks to the objects; undefined in the d1 mode. */
export function hotStateAccessOf(env: Partial<StateEnv>): HotStateAccess | undefined {
  if (!env.DB || verifyStateMode(env) !== 'durable-object') return undefined;
  const stateEnv = env as StateEnv;
  return {
    verify: (token, input, nowMs, options) =>
      ask(stateEnv, token, nowMs, disabledVerify(token), (stub, record, epoch) =>
        stub.verify(
          record,
          input,
          nowMs,
          { allowActivation: options.allowActivation, challenge: options.challenge, countFailure: options.countFailure, activityIfConsumed: options.activityIfConsumed, audit: options.audit },
          epoch,
        ),
      ),
    recordFailure: (token, nowMs, reason) => ask(stateEnv, token, nowMs, disabledVerify(token), (stub, record) => stub.recordFailure(record, nowMs, reason)),
    resync: (token, firstOtp, secondOtp, nowMs, audit) =>
      ask(stateEnv, token, nowMs, { ok: false, reason: 'TOKEN_DISABLED' }, (stub, record, epoch) => stub.resync(record, firstOtp, secondOtp, nowMs, epoch, audit)),
  };
}

const disabledVerify = (token: TokenRecord): VerifyResult => ({ ok: false, tokenId: token.id, reason: 'TOKEN_DISABLED' });

/**
 * One question to the token's object. A `stale` answer (an admin change reached the object after this isolate last
 * heard from it) reads the token afresh from D1 and asks once more with the new epoch; a token that is gone or
 * changed hands meanwhile is refused as disabled (`disabled`, the question's own answer for that), like any token
 * no longer usable.
 */
async function ask<T extends VerifyResult | { ok: boolean }>(
  env: StateEnv,
  token: TokenRecord,
  nowMs: number,
  disabled: T,
  question: (stub: DurableObjectStub<VerifyStateObject>, record: TokenRecord, epoch: number | null) => Promise<ObjectAnswer<T>>,
): Promise<T> {
  const name = objectNameOf(token);
  const stub = stubOf(env, name);
  let answer = (await question(stub, token, epochKnownBefore(name, nowMs))) as ObjectAnswer<T>;
  if (answer.stale) {
    learnEpoch(name, answer.epoch);
    const fresh = await readTokenRecord(env.DB, token.id);
    if (!fresh || objectNameOf(fresh) !== name) return disabled;
    answer = (await question(stub, fresh, answer.epoch)) as ObjectAnswer<T>;
    // Another admin change in between: refuse rather than loop; the next request starts from the newest epoch.
    if (answer.stale) {
      learnEpoch(name, answer.epoch);
      return disabled;
    }
  }
  learnEpoch(name, answer.epoch);
  if ('error' in answer) throw new AppError(answer.error.code, answer.error.message, answer.error.details);
  return answer.result;
}

/**
 * An admin change reaching the objects after its D1 write committed (docs/scale.md §5 rule 2): `owners` are the
 * users whose objects may hold the token's state (before and after a reassign). A no-op in the d1 mode. If the
 * call fails the admin's request fails with it and is retried; meanwhile the object has only refused verifies.
 */
export async function notifyTokenChange(env: StateEnv, tokenId: string, owners: (string | null)[], change: AdminChange): Promise<void> {
  if (verifyStateMode(env) !== 'durable-object') return;
  for (const name of new Set(owners.map((owner) => objectNameOf({ id: tokenId, owner_user_id: owner })))) {
    const answer = await stubOf(env, name).adminChange(tokenId, change);
    learnEpoch(name, answer.epoch);
  }
}

/**
 * Waits until D1 holds everything the token's object owed it after its answers (the mirror, activity and audit rows;
 * at once in the d1 mode, where the answer's own batch wrote them): for readers that must see a check's effects in
 * D1 right after it (the admin's own Check OTP and resync, tests). No verify answer waits for it. False: D1 refused the flush (the alarm retries).
 */
export async function verifyStateSettled(env: Partial<StateEnv>, token: Pick<TokenRecord, 'id' | 'owner_user_id'>): Promise<boolean> {
  if (!env.DB || verifyStateMode(env) !== 'durable-object') return true;
  return stubOf(env as StateEnv, objectNameOf(token)).flushed();
}

/** The state the token's object holds (null: none yet): the exact value behind the mirror, for tests and tools. */
export async function objectHotStateOf(env: StateEnv, token: Pick<TokenRecord, 'id' | 'owner_user_id'>): Promise<HotState | null> {
  return stubOf(env, objectNameOf(token)).hotStateOf(token.id);
}

/**
 * The admin token routes' changes, told to the objects after the route's D1 write committed (mounted on
 * tokens/routes.ts, so no route can skip it): PATCH (disable, enable, reassign: the state leaves an owner it no
 * longer belongs to), DELETE (rule 8), PUT .../pin, POST .../reset-fail-counter (applied in the object). Check OTP
 * and resync need nothing here: they go through the object themselves.
 */
export const tellObjectsOfTokenChanges: MiddlewareHandler<AppBindings> = async (c, next) => {
  const action = /\/tokens\/[^/]+(\/pin|\/reset-fail-counter)?$/.exec(c.req.path)?.[1] ?? '';
  const method = c.req.method;
  const watched = (method === 'PATCH' || method === 'DELETE') && action === '' ? true : (method === 'PUT' && action === '/pin') || (method === 'POST' && action === '/reset-fail-counter');
  if (!watched || verifyStateMode(c.env) !== 'durable-object') return next();
  const id = c.req.param('id')!;
  const ownerOf = () => readTokenOwner(c.env.DB, id);
  const before = await ownerOf();
  await next();
  if (before === undefined || c.res.status >= 400) return;
  if (method === 'DELETE') return notifyTokenChange(c.env, id, [before], 'forget');
  if (action === '/reset-fail-counter') return notifyTokenChange(c.env, id, [before], 'reset');
  const after = await ownerOf();
  // Given to someone else: neither object keeps state of it (the new owner's starts from D1's mirror, rule 7).
  if (after !== undefined && after !== before) return notifyTokenChange(c.env, id, [before, after], 'forget');
  return notifyTokenChange(c.env, id, [before], 'changed');
};
