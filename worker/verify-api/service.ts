/**
 * The integration API behind VPNs, RADIUS bridges and apps: "is this OTP right for this user on this resource?"
 * Which tokens count: with a "token with user" assignment exactly that token; with a plain "user" assignment any
 * of the user's own enabled, activated tokens.
 *
 * SMS and EMAIL tokens answer in two requests, as privacyIDEA's challenge-response tokens do: a request without an
 * otp (or with only the token's PIN) sends a code to the token's destination and answers CHALLENGE_SENT; the next
 * request carries that code (with the PIN where set). Codes are single use and expire; sending takes the message
 * limits (cooldown, caps per number/address, user and IP) and answers RATE_LIMITED when one refuses.
 */
import { VERIFY_ATTEMPTS_PER_USER, VERIFY_WINDOW_MS } from '../constants';
import { activityStatement, activityStatementIf, type ActivityInput } from '../activities/repo';
import { apiKeyFromLookup, apiKeyLookupStatement, requireApiKeyScope, touchApiKeyStatement, validApiKeyCondition } from '../auth/api-keys';
import type { Env } from '../env';
import { fillMissingIdentityKeys, lookupKeyOf } from '../lib/identity';
import { consumeRateLimitStatement, rateLimitResultFromRow } from '../lib/rate-limit';
import type { RateLimitHitRow } from '../lib/repo';
import {
  recordTokenFailure,
  refusalByState,
  verifyTokenOtp,
  type TokenRecord,
  type VerifyFailureReason,
  type VerifyResult,
} from '../tokens/verification';
import { claimTokenAttemptStatement, CONSUMED_BY_PREVIOUS_STATEMENT, releaseTokenAttemptStatement, type ClaimedTokenAttempt } from '../tokens/repo';
import { AppError } from '../errors';
import { checkTokenCode, isCodeRequest, isMessageToken, openChallengeIdOf, sendKeptTokenCode } from '../tokens/message-tokens';
import { tokensForTypedCode } from '../tokens/accepted-tokens';
import { verifyKeysOf } from '../tokens/service';
import { verifyRateLimitRowStatement, verifyRowsOf, verifyTargetStatements, VERIFY_RATE_LIMIT_KEY_SQL } from './repo';
import { keepWarmCopy, verifyWarm, warmCopyConsumed, warmCopyKey } from './warm-path';

/** The answer to a missing, malformed, unknown or revoked key (the same words as the admin API's). */
export const INVALID_API_KEY_MESSAGE = 'The API key is not valid.';

/** The purpose of codes the verify API sends to SMS/EMAIL tokens. */
export const VERIFY_TOKEN_PURPOSE = 'verify-token';

export type VerifyRejection =
  | VerifyFailureReason
  | 'USER_UNKNOWN'
  | 'USER_DISABLED'
  | 'RESOURCE_UNKNOWN'
  | 'NOT_ASSIGNED'
  | 'NO_TOKEN'
  | 'RATE_LIMITED'
  | 'CHALLENGE_SENT'
  | 'FACTOR_NOT_SUPPORTED';

export type VerifyApiResult =
  | { accepted: true; serial: string; userId: string }
  | { accepted: false; reason: VerifyRejection; lockedUntil?: number | null; retryAfterMs?: number };

export interface VerifyRequest {
  /** SHA-256 of the caller's API key (`apiKeyHashOf`): checked here, in the read batch, not by a middleware. */
  apiKeyHash: string;
  login: string;
  resource: string;
  /** Empty (or only the PIN) asks SMS/EMAIL tokens for a code. */
  otp: string;
  challenge?: string;
  ip: string | null;
  client: string | null;
}

/**
 * What one verify costs in D1 round trips, each of which is far dearer than the HMAC work (bench/results/otp.md):
 * a TOTP/HOTP success from a warm isolate takes one (warm-path.ts: the consume, whose trigger writes the rate limit
 * hit and the activity); a cold success two, the read batch (API key, rate limit hit, resource, user, assignment,
 * tokens) and the consume batch (the conditional UPDATE and the UserLogin activity it decides); an answer without a
 * code check takes two (read batch, activity); a wrong code three (read batch, fail counter, activity), four at a
 * warm isolate (its attempt claimed first). A warm consume refused by a changed record adds its statement to the
 * cold path's.
 */
function activityOf(request: VerifyRequest, result: VerifyApiResult, userId: string | null, nowMs: number): ActivityInput {
  return {
    type: result.accepted ? 'UserLogin' : 'UserLoginAttempt',
    userId,
    login: request.login,
    channel: 'api',
    ip: request.ip,
    client: request.client,
    detail: result.accepted ? { resource: request.resource, serial: result.serial } : { resource: request.resource, reason: result.reason },
    nowMs,
  };
}

interface Decision {
  result: VerifyApiResult;
  /** The user the activity row belongs to (null for an unknown login). */
  userId: string | null;
  /** True when the activity row was already written in the consume batch. */
  logged: boolean;
}

export async function verifyForResource(env: Env, request: VerifyRequest, nowMs: number): Promise<VerifyApiResult> {
  const warm = await verifyWarm(env, request, lookupKeyOf(request.login), nowMs, (serial, userId) =>
    activityOf(request, { accepted: true, serial, userId }, userId, nowMs),
  );
  if (warm?.kind === 'accepted') return { accepted: true, serial: warm.serial, userId: warm.userId };
  if (warm?.kind === 'answered') {
    await activityStatement(env.DB, activityOf(request, warm.result, warm.userId, nowMs)).run();
    return warm.result;
  }
  let decision = await decide(env, request, nowMs, warm?.kind === 'refused' ? warm.claimedLimit : undefined);
  // Keys of logins outside printable ASCII are filled by the Worker (no NFKC in SQLite): an unknown login is looked
  // up once more after filling any that are missing (that request spends two verify attempts). Off the hot path: a
  // known user never gets here, and with no key missing the fill is one indexed read.
  if (!decision.result.accepted && decision.result.reason === 'USER_UNKNOWN' && (await fillMissingIdentityKeys(env.DB)).filled > 0) {
    decision = await decide(env, request, nowMs);
  }
  const { result, userId, logged } = decision;
  if (!logged) await activityStatement(env.DB, activityOf(request, result, userId, nowMs)).run();
  return result;
}

/** `claimedLimit`: the hit of this request's attempt the warm path claimed already; the read batch then counts none. */
async function decide(env: Env, request: VerifyRequest, nowMs: number, claimedLimit?: RateLimitHitRow): Promise<Decision> {
  const db = env.DB;
  // Everything the decision reads, the API key check and the rate limit hit, in ONE round trip to D1: this endpoint
  // sits in front of VPN and RADIUS logins, and each sequential D1 call costs far more than the HMAC work. The key
  // is checked in D1 on every request, here and on the warm path (never from a copy), so a revoked key is refused
  // from the next request on.
  // The identity key, as every sign-in path finds users (lib/identity.ts); null (nobody: USER_UNKNOWN) for a login
  // with an invisible or ambiguous character.
  const loginKey = lookupKeyOf(request.login);
  const rateLimitInput = JSON.stringify({ loginKey, login: request.login, resource: request.resource });
  // Counted only for a valid key: requests nobody authenticated must not use up a user's attempts.
  // With the hit claimed already, the row is still read in its place (and not used: it counts requests in flight
  // too), so the batch has the same statements whether the warm copy matched the code or not.
  const [keyRows, , ...readRows] = await db.batch([
    apiKeyLookupStatement(db, request.apiKeyHash, nowMs),
    touchApiKeyStatement(db, request.apiKeyHash, nowMs),
    claimedLimit
      ? verifyRateLimitRowStatement(db, rateLimitInput)
      : consumeRateLimitStatement(
          db,
          rateLimitInput,
          VERIFY_ATTEMPTS_PER_USER,
          VERIFY_WINDOW_MS,
          nowMs,
          { condition: validApiKeyCondition('?5', '?2', 'verify'), value: request.apiKeyHash },
          VERIFY_RATE_LIMIT_KEY_SQL,
        ),
    ...verifyTargetStatements(db, request.resource, loginKey),
  ]);
  // Nothing was written for an invalid key (the rate limit hit is conditioned on it), and nothing is logged.
  // The lookup also refuses revoked and expired keys and keys whose owner is no longer an enabled admin; a usable
  // key of another scope (`read`) is forbidden here, and its hit was not counted either (the condition names scopes).
  const apiKey = apiKeyFromLookup(keyRows!);
  if (!apiKey) throw new AppError('UNAUTHENTICATED', INVALID_API_KEY_MESSAGE);
  requireApiKeyScope(apiKey, 'verify');
  const { limit: limitHit, resource, user, assignment, tokens: assigned } = verifyRowsOf(readRows);
  const answer = (result: VerifyApiResult): Decision => ({ result, userId: user?.id ?? null, logged: false });

  // The hit is counted for every usable key (checked just above, in the same batch), so its row is there.
  const limitRow = claimedLimit ?? limitHit;
  if (!limitRow) throw new Error('verify rate limit hit returned no row');
  // loginKey is set when the user was found by it. The copy is kept before the limit is looked at: whether an isolate
  // holds a copy must not depend on whether the last refused request's code was right (a right code's refused warm
  // consume drops the copy, warm-path.ts), or the next request's round trips would tell.
  const copyKey = loginKey === null ? null : warmCopyKey(loginKey, request.resource);
  if (copyKey && resource && user?.enabled && assignment && assigned.length > 0) {
    keepWarmCopy(copyKey, { userId: user.id, resourceId: resource.id, assignment: { ...assignment }, tokens: assigned.map((token) => ({ ...token })), usedAtMs: nowMs });
  }
  const limit = rateLimitResultFromRow(limitRow, VERIFY_ATTEMPTS_PER_USER, nowMs);
  if (!limit.allowed) return answer({ accepted: false, reason: 'RATE_LIMITED', retryAfterMs: limit.retryAfterMs });
  if (!resource) return answer({ accepted: false, reason: 'RESOURCE_UNKNOWN' });
  if (!user) return answer({ accepted: false, reason: 'USER_UNKNOWN' });
  if (!user.enabled) return answer({ accepted: false, reason: 'USER_DISABLED' });
  if (!assignment) return answer({ accepted: false, reason: 'NOT_ASSIGNED' });
  if (assigned.length === 0) return answer({ accepted: false, reason: 'NO_TOKEN' });

  const input = request.otp.trim();
  // A recovery code goes to the user's recovery code sets, anything else to the OTP and message tokens (the one
  // rule, tokens/accepted-tokens.ts). A passkey takes no typed code at all: it needs a browser ceremony this API
  // cannot run, so a passkey-only user is told so, and no input is ever checked or counted against a passkey.
  const tokens = tokensForTypedCode(assigned, input);
  if (tokens.length === 0) {
    return answer({ accepted: false, reason: assigned.every((token) => token.type === 'PASSKEY') ? 'FACTOR_NOT_SUPPORTED' : 'OTP_INVALID' });
  }
  // A PIN is a guessable secret, and "is this the PIN?" is answered by what follows (a code goes out, or not): every
  // SMS/EMAIL token with a PIN claims one attempt on its fail counter BEFORE its PIN is looked at, whether a code is
  // out or not. Unclaimed, a wrong PIN answered OTP_INVALID uncounted and the right one CHALLENGE_SENT, so the
  // verify rate limit alone bounded the guesses (a 4-digit PIN in about a day). A right PIN gives its claim back.
  const claims = await claimPinAttempts(db, input === '' ? [] : tokens.filter((token) => isMessageToken(token.type) && token.pin_hash !== null && token.enabled && token.activated), nowMs);
  const giveBack = (except?: string) => releaseClaims(db, claims, except);

  // "Send me a code": every usable SMS/EMAIL token whose PIN (or no PIN and nothing) the request carries gets one.
  const codeRequests = [];
  for (const token of tokens) {
    if (!isMessageToken(token.type) || !token.enabled || !token.activated) continue;
    const mayAsk = token.pin_hash === null ? input === '' : claims.get(token.id)?.claimed === true;
    if (mayAsk && (await isCodeRequest(env, token, input))) codeRequests.push(token);
  }
  if (codeRequests.length > 0) {
    // The input was a PIN: no failure on any token (for the others it was no guess either: the answer is the same).
    await giveBack();
    try {
      for (const token of codeRequests) {
        await sendKeptTokenCode(env, token, { purpose: VERIFY_TOKEN_PURPOSE, language: user.language, name: user.first_name || user.login, ip: request.ip, nowMs });
      }
    } catch (error) {
      if (error instanceof AppError && error.code === 'RATE_LIMITED') {
        return answer({ accepted: false, reason: 'RATE_LIMITED', retryAfterMs: (error.details as { retryAfterMs?: number } | undefined)?.retryAfterMs });
      }
      throw error;
    }
    return answer({ accepted: false, reason: 'CHALLENGE_SENT' });
  }
  // An empty otp that asked nothing of an SMS/EMAIL token is no guess: it counts against no token.
  if (input === '') return answer({ accepted: false, reason: 'OTP_INVALID' });

  // With several tokens the code is meant for one of them. Their failures are counted after all were checked,
  // and only if none accepted the code and none knew it as the code it accepted last: a RADIUS client resending
  // one token's code must not lock the user's other tokens. (countFailure: false is safe here because the counts
  // follow in this request, or were claimed above; each is still one atomic statement.)
  const countEach = tokens.length === 1;
  const keys = verifyKeysOf(env);
  const uncounted: TokenRecord[] = [];
  let lastFailure: VerifyApiResult = { accepted: false, reason: 'OTP_INVALID' };
  for (const token of tokens) {
    let verdict: VerifyResult;
    const claim = claims.get(token.id);
    if (claim && !claim.claimed) {
      // Locked (or disabled): its PIN and code are not looked at, whichever they are.
      verdict = refusalByState(token, nowMs) ?? { ok: false, tokenId: token.id, reason: 'TOKEN_LOCKED' };
    } else if (isMessageToken(token.type)) {
      // Only a token with a code out there can be answered; without a PIN the others are not being guessed at.
      const challengeId = await openChallengeIdOf(env, token, VERIFY_TOKEN_PURPOSE, nowMs);
      if (!challengeId && !claim) continue;
      verdict = claim?.claimed
        ? challengeId
          ? await checkTokenCode(env, token, challengeId, input, { purpose: VERIFY_TOKEN_PURPOSE, nowMs, countFailure: false, lockedByClaim: claim.lockedByClaim })
          : { ok: false, tokenId: token.id, reason: 'OTP_INVALID' }
        : await checkTokenCode(env, token, challengeId, input, { purpose: VERIFY_TOKEN_PURPOSE, nowMs, countFailure: countEach });
      // The claim counted this failure: the one that reached the limit says it locked the token.
      if (!verdict.ok && claim?.claimed && verdict.reason === 'OTP_INVALID' && claim.lockedByClaim !== null) {
        verdict = { ok: false, tokenId: token.id, reason: 'TOKEN_LOCKED', lockedUntil: claim.lockedByClaim };
      }
    } else {
      // The UserLogin row rides in the consume batch: written exactly when this token's code is consumed.
      const success: VerifyApiResult = { accepted: true, serial: token.serial, userId: user.id };
      const activity = activityOf(request, success, user.id, nowMs);
      verdict = await verifyTokenOtp(db, keys, token, input, nowMs, {
        challenge: request.challenge,
        alsoIfConsumed: activityStatementIf(db, activity, CONSUMED_BY_PREVIOUS_STATEMENT),
        activityIfConsumed: activity,
        countFailure: countEach,
        via: { channel: 'api', ip: request.ip, client: request.client },
      }).catch(
        async (error: unknown) => {
          // This token refused the request (an OCRA token, a challenge its suite cannot take), but the code was a
          // guess at the tokens checked before it all the same: uncounted, the error would be a free oracle for
          // them (the right code accepted, every wrong one a 400 that their lock never sees).
          for (const checked of uncounted) await recordTokenFailure(db, keys, checked, nowMs, 'OTP_INVALID');
          throw error;
        },
      );
      if (verdict.ok) {
        await giveBack();
        warmCopyConsumed(copyKey!, token.id, verdict.matched, nowMs);
        return { result: success, userId: user.id, logged: true };
      }
    }
    if (verdict.ok) {
      await giveBack(token.id);
      return answer({ accepted: true, serial: verdict.serial, userId: user.id });
    }
    if (verdict.reason === 'OTP_REPLAYED') {
      await giveBack();
      return answer({ accepted: false, reason: 'OTP_REPLAYED' });
    }
    // With one token its own reason is the answer; with several, "locked"/"disabled" of one must not hide the others.
    if (countEach) lastFailure = { accepted: false, reason: verdict.reason, lockedUntil: verdict.lockedUntil };
    else if (verdict.reason === 'OTP_INVALID' && !claim) uncounted.push(token);
  }
  for (const token of uncounted) await recordTokenFailure(db, keys, token, nowMs, 'OTP_INVALID');
  return answer(lastFailure);
}

/** Per token with a PIN: whether its attempt was claimed (else it is locked or disabled), and the lock it set. */
type PinClaims = Map<string, { claimed: true; lockedByClaim: number | null } | { claimed: false }>;

async function claimPinAttempts(db: D1Database, tokens: TokenRecord[], nowMs: number): Promise<PinClaims> {
  const claims: PinClaims = new Map();
  if (tokens.length === 0) return claims;
  const rows = await db.batch<ClaimedTokenAttempt>(tokens.map((token) => claimTokenAttemptStatement(db, token.id, nowMs)));
  tokens.forEach((token, i) => {
    const row = rows[i]!.results[0];
    claims.set(token.id, row ? { claimed: true, lockedByClaim: row.locked_until } : { claimed: false });
  });
  return claims;
}

async function releaseClaims(db: D1Database, claims: PinClaims, exceptTokenId?: string): Promise<void> {
  const releases = [...claims].flatMap(([tokenId, claim]) => (claim.claimed && tokenId !== exceptTokenId ? [releaseTokenAttemptStatement(db, tokenId, claim.lockedByClaim)] : []));
  if (releases.length > 0) await db.batch(releases);
}
