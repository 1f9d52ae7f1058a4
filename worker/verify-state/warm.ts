/**
 * The object mode's warm path (VERIFY_STATE = "durable-object"): a TOTP/HOTP verify from an isolate that holds a
 * copy of the records (verify-api/warm-path.ts WarmCopy, made by an earlier verify's read batch) takes ONE D1
 * statement and the call to the user's object, instead of the read batch and the call.
 *
 * Who decides what (docs/scale.md §5):
 * - D1 decides whether the copy still holds, in the statement that claims the request's attempt before any code is
 *   looked at (repo.ts warmAttemptStatement): the API key, the user, the resource, the assignment and the token's
 *   columns as the copy has them. Every admin change of those moves a value that statement compares, so it refuses
 *   on the very next verify however warm the isolate; nothing is counted then, and the cold path decides afresh.
 * - The object decides the code on its own hot state (counter, used step, drift, fail count, lock), laid over the
 *   copy's record, and refuses a record older than an admin change it heard of (the epoch, client.ts): a token
 *   change that lands between the claim and the object call is answered stale, and the token read afresh.
 * The token's hot columns in the copy are never compared: D1 only mirrors them, after the object's answers.
 */
import { VERIFY_ATTEMPTS_PER_USER, VERIFY_WINDOW_MS } from '../constants';
import type { ActivityInput } from '../activities/repo';
import { touchApiKeyStatement, validApiKeyCondition } from '../auth/api-keys';
import type { Env } from '../env';
import { rateLimitResultFromRow } from '../lib/rate-limit';
import type { RateLimitHitRow } from '../lib/repo';
import { verifyTokenOtp, type TokenRecord } from '../tokens/verification';
import { verifyKeysOf } from '../tokens/service';
import { WARM_CHECKED_TOKEN_COLUMNS, type WarmCopy, type WarmOutcome } from '../verify-api/warm-path';
import { warmAttemptStatement } from './repo';

/**
 * The copy's token columns the claim compares: those of the D1 warm path but the drift, which in this mode moves in
 * the object first (its mirror in D1 follows the flush, so comparing it would refuse a copy that is right). A
 * function: warm-path.ts and this module import each other, so the list is read at the call, not at load.
 */
const objectWarmCheckedColumns = () => WARM_CHECKED_TOKEN_COLUMNS.filter((column) => column !== 'drift_steps');

export async function verifyWarmInObject(
  env: Env,
  request: { apiKeyHash: string; resource: string },
  loginKey: string,
  copy: WarmCopy,
  token: TokenRecord,
  input: string,
  nowMs: number,
  touchApiKey: boolean,
  successActivity: ActivityInput,
): Promise<WarmOutcome> {
  const db = env.DB;
  const claim = warmAttemptStatement(
    db,
    {
      apiKeyHash: request.apiKeyHash,
      userId: copy.userId,
      loginKey,
      resourceId: copy.resourceId,
      resource: request.resource,
      assignment: copy.assignment,
      tokenId: token.id,
      tokenColumns: Object.fromEntries(objectWarmCheckedColumns().map((column) => [column, token[column]])),
    },
    nowMs,
    VERIFY_ATTEMPTS_PER_USER,
    VERIFY_WINDOW_MS,
    (param) => validApiKeyCondition(param, '?2', 'verify'),
  );
  const [claimed] = touchApiKey ? await db.batch<RateLimitHitRow>([claim, touchApiKeyStatement(db, request.apiKeyHash, nowMs)]) : [await claim.all<RateLimitHitRow>()];
  const row = claimed!.results[0];
  if (!row) return { kind: 'refused' };
  const limit = rateLimitResultFromRow(row, VERIFY_ATTEMPTS_PER_USER, nowMs);
  if (!limit.allowed) return { kind: 'answered', userId: copy.userId, result: { accepted: false, reason: 'RATE_LIMITED', retryAfterMs: limit.retryAfterMs } };
  // One candidate token, so its failure is counted here, as the cold path counts a single token's (countEach).
  const verdict = await verifyTokenOtp(db, verifyKeysOf(env), token, input, nowMs, { activityIfConsumed: successActivity, countFailure: true });
  if (verdict.ok) return { kind: 'accepted', serial: token.serial, userId: copy.userId, matched: verdict.matched };
  return { kind: 'answered', userId: copy.userId, result: { accepted: false, reason: verdict.reason, lockedUntil: verdict.lockedUntil } };
}
