/**
 * API keys: shown once at creation, stored as SHA-256, revocable, last use recorded. Each key has
 * - a scope: `verify` calls only /api/v1/verify, `read` only reads the admin API, `admin` does everything;
 * - an owner, the admin who made it: the key works only while that user is an enabled administrator;
 * - optionally an expiry.
 * Revocation, expiry and the owner's standing are checked in the very statement that looks the key up (never
 * cached), so a demotion, a disabled or deleted owner, a revocation or an expiry counts from the next request.
 */
import { API_KEY_BYTES, API_KEY_MAX_SECRET_CHARS, API_KEY_MIN_SECRET_CHARS } from '../constants';
import type { Audit } from '../audit/record';
import { AppError } from '../errors';
import { fieldRefusal } from '../lib/validate';
import { randomToken, sha256Hex } from '../lib/crypto';
import {
  apiKeyLookupStatement,
  findApiKey,
  insertApiKeyStatement,
  listApiKeyRows,
  revokeApiKeyStatement,
  revokeKeysMadeByStatement,
  touchApiKeyStatement,
  usableKeyCondition,
  type ApiKeyLookupRow,
  type InsertedApiKey,
} from './repo';
import type { Principal } from './types';

const KEY_PREFIX = 'eid_';
const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}[A-Za-z0-9_-]{${API_KEY_MIN_SECRET_CHARS},${API_KEY_MAX_SECRET_CHARS}}$`);
/** Said in the seed scripts' refusal and in the README. */
export const API_KEY_FORMAT_DESCRIPTION = `"${KEY_PREFIX}" followed by ${API_KEY_MIN_SECRET_CHARS} to ${API_KEY_MAX_SECRET_CHARS} letters, digits, "-" or "_" (as "echo ${KEY_PREFIX}$(openssl rand -hex 24)" prints)`;

export const API_KEY_SCOPES = ['verify', 'read', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** What a request does, as far as key scopes are concerned. */
export type ApiKeyUse = 'verify' | 'adminRead' | 'adminWrite';

/** The one table of what each scope may do; every scope check reads it. */
const USES_OF_SCOPE: Record<ApiKeyScope, readonly ApiKeyUse[]> = {
  verify: ['verify'],
  read: ['adminRead'],
  admin: ['verify', 'adminRead', 'adminWrite'],
};

export function scopeAllows(scope: ApiKeyScope, use: ApiKeyUse): boolean {
  return USES_OF_SCOPE[scope].includes(use);
}

/** A key found usable by a lookup: who vouches for it and what it may do. */
export interface ApiKeyIdentity {
  apiKeyId: string;
  scope: ApiKeyScope;
  ownerUserId: string;
}

export type ApiKeyStatus = 'active' | 'revoked' | 'expired' | 'owner_inactive';

export interface ApiKeyView {
  id: string;
  name: string;
  keyPrefix: string;
  scope: ApiKeyScope;
  ownerUserId: string | null;
  /** null once the owner is deleted (the key is then refused). */
  ownerLogin: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
  /** Whether the key works now, and if not why: `owner_inactive` = its owner is no longer an enabled admin. */
  status: ApiKeyStatus;
}

/**
 * Refuses a key the creator may not make. Only an admin signed in creates `admin` keys; a key only makes keys
 * strictly narrower than itself, so a leaked admin key cannot multiply itself into more admin keys, and a `read`
 * or `verify` key (which the admin router already keeps from POSTing) could never widen itself.
 */
export function assertMayCreateScope(creator: Principal, scope: ApiKeyScope): void {
  if (creator.kind === 'session') return;
  const own = USES_OF_SCOPE[creator.scope];
  const wanted = USES_OF_SCOPE[scope];
  const strictlyNarrower = wanted.every((use) => own.includes(use)) && wanted.length < own.length;
  if (!strictlyNarrower) {
    throw new AppError('FORBIDDEN', `An API key with scope "${creator.scope}" cannot create a "${scope}" key; admin keys are created by an administrator signed in to the admin center.`);
  }
}

export async function createApiKey(
  db: D1Database,
  input: { name: string; scope: ApiKeyScope; ownerUserId: string; createdByKeyId?: string | null; expiresAt?: number | null; nowMs: number },
  /** Keys made through the admin API are audited; the seed scripts and tests pass none. */
  audit?: Audit,
): Promise<{ apiKey: ApiKeyView; key: string }> {
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt !== null && expiresAt <= input.nowMs) {
    throw fieldRefusal('expiresAt', 'NOT_IN_FUTURE', 'must be in the future');
  }
  const key = KEY_PREFIX + randomToken(API_KEY_BYTES);
  const id = crypto.randomUUID();
  const keyPrefix = key.slice(0, 10);
  const [inserted] = await db.batch<InsertedApiKey>([
    insertApiKeyStatement(db, {
      id,
      name: input.name,
      keyHash: await sha256Hex(key),
      keyPrefix,
      scope: input.scope,
      ownerUserId: input.ownerUserId,
      createdByKeyId: input.createdByKeyId ?? null,
      createdAt: input.nowMs,
      expiresAt,
    }),
    // The key itself is never in the trail: it is shown once, to its creator.
    ...(audit ? [audit({ action: 'create', objectType: 'api_key', objectId: id, objectName: input.name, after: { name: input.name, scope: input.scope, keyPrefix, ownerUserId: input.ownerUserId, expiresAt } })] : []),
  ]);
  const owner = inserted!.results[0];
  return {
    apiKey: {
      id,
      name: input.name,
      keyPrefix,
      scope: input.scope,
      ownerUserId: input.ownerUserId,
      ownerLogin: owner?.ownerLogin ?? null,
      createdAt: input.nowMs,
      lastUsedAt: null,
      expiresAt,
      revokedAt: null,
      status: 'active',
    },
    key,
  };
}

export async function listApiKeys(db: D1Database, nowMs: number): Promise<ApiKeyView[]> {
  const rows = await listApiKeyRows(db, nowMs);
  return rows.map(({ usable, ...row }) => ({
    ...row,
    status: row.revokedAt !== null ? 'revoked' : usable ? 'active' : row.expiresAt !== null && row.expiresAt <= nowMs ? 'expired' : 'owner_inactive',
  }));
}

/**
 * Revokes the key and, in the same batch, the keys it made: a leaked admin key must not leave read or verify keys
 * behind that outlive its revocation (keys only make narrower keys, so one level is the whole chain).
 */
export async function revokeApiKey(db: D1Database, id: string, nowMs: number, audit: Audit): Promise<void> {
  const key = await findApiKey(db, id);
  const [revoked] = await db.batch([
    revokeApiKeyStatement(db, id, nowMs),
    // Written only with the revocation; the next statement's changes() = 1 then reads this row's insert, which is just as conditional.
    audit({ action: 'revoke', objectType: 'api_key', objectId: id, objectName: key?.name ?? null, before: { scope: key?.scope, revokedAt: null }, after: { revokedAt: nowMs } }),
    revokeKeysMadeByStatement(db, id, nowMs),
  ]);
  if (revoked!.meta.changes === 0) throw new AppError('API_KEY_NOT_FOUND');
}

/** The key when it is usable now (whatever its scope; see `requireApiKeyScope`), else null. */
export async function resolveApiKey(db: D1Database, key: string, nowMs: number): Promise<ApiKeyIdentity | null> {
  const keyHash = await apiKeyHashOf(key);
  if (keyHash === null) return null;
  // One round trip: the lookup and the last-use bookkeeping go to D1 together.
  const [rows] = await db.batch([apiKeyLookupStatement(db, keyHash, nowMs), touchApiKeyStatement(db, keyHash, nowMs)]);
  return apiKeyFromLookup(rows!);
}

/** True for what the key format allows: what `createApiKey` makes, and what the seed scripts accept. */
export function isWellFormedApiKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** SHA-256 of a presented key as stored in `api_keys.key_hash`; null for something that cannot be a key. */
export async function apiKeyHashOf(key: string): Promise<string | null> {
  if (!isWellFormedApiKey(key)) return null;
  return sha256Hex(key);
}

/**
 * The SQL condition "this key hash names a key usable now for `use`", for statements that must only take effect
 * for such a key (the verify API puts the key check into its read batch). `hashParam` and `nowParam` are the
 * placeholders bound to the hash and the clock (epoch ms), e.g. `?5` and `?2`. Both are parameters, never literals:
 * SQL text that changed with every millisecond was parsed and planned afresh for every request (no statement cache
 * can hold it), which cost a warm verify about a fifth of its D1 time.
 */
export function validApiKeyCondition(hashParam: string, nowParam: string, use: ApiKeyUse): string {
  const scopes = API_KEY_SCOPES.filter((scope) => scopeAllows(scope, use)).map((scope) => `'${scope}'`);
  return `EXISTS (SELECT 1 FROM api_keys WHERE api_keys.key_hash = ${hashParam} AND api_keys.scope IN (${scopes.join(', ')}) AND ${usableKeyCondition(nowParam)})`;
}

/** Read the lookup with `apiKeyFromLookup`. */
export { apiKeyLookupStatement, touchApiKeyStatement } from './repo';

/** The key an `apiKeyLookupStatement` found, or null: unknown, revoked, expired, or its owner is no enabled admin. */
export function apiKeyFromLookup(result: D1Result): ApiKeyIdentity | null {
  const [row] = (result as D1Result<ApiKeyLookupRow>).results;
  return row ? { apiKeyId: row.id, scope: row.scope, ownerUserId: row.ownerUserId } : null;
}

/** Refuses (FORBIDDEN) a usable key whose scope does not cover what the request does. */
export function requireApiKeyScope(key: ApiKeyIdentity, use: ApiKeyUse): void {
  if (!scopeAllows(key.scope, use)) {
    const needed = API_KEY_SCOPES.filter((scope) => scopeAllows(scope, use)).join(' or ');
    throw new AppError('FORBIDDEN', `This API key has scope "${key.scope}"; this request needs ${needed}.`);
  }
}
