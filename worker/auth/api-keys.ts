/** Admin API keys: shown once at creation, stored as SHA-256, revocable, last use recorded. */
import { API_KEY_BYTES } from '../constants';
import { AppError } from '../errors';
import { randomToken, sha256Hex } from '../lib/crypto';

const KEY_PREFIX = 'eid_';

export interface ApiKeyView {
  id: string;
  name: string;
  keyPrefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export async function createApiKey(
  db: D1Database,
  input: { name: string; createdByUserId: string | null; nowMs: number; key?: string },
): Promise<{ apiKey: ApiKeyView; key: string }> {
  const key = input.key ?? KEY_PREFIX + randomToken(API_KEY_BYTES);
  const id = crypto.randomUUID();
  const keyPrefix = key.slice(0, 10);
  await db
    .prepare('INSERT INTO api_keys (id, name, key_hash, key_prefix, created_by_user_id, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(id, input.name, await sha256Hex(key), keyPrefix, input.createdByUserId, input.nowMs)
    .run();
  return {
    apiKey: { id, name: input.name, keyPrefix, createdAt: input.nowMs, lastUsedAt: null, revokedAt: null },
    key,
  };
}

export async function listApiKeys(db: D1Database): Promise<ApiKeyView[]> {
  const { results } = await db
    .prepare(
      'SELECT id, name, key_prefix, created_at, last_used_at, revoked_at FROM api_keys ORDER BY revoked_at IS NOT NULL, created_at DESC',
    )
    .all<{ id: string; name: string; key_prefix: string; created_at: number; last_used_at: number | null; revoked_at: number | null }>();
  return results.map((row) => ({
    id: row.id,
    name: row.name,
    keyPrefix: row.key_prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  }));
}

export async function revokeApiKey(db: D1Database, id: string, nowMs: number): Promise<void> {
  const result = await db
    .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
    .bind(nowMs, id)
    .run();
  if (result.meta.changes === 0) throw new AppError('API_KEY_NOT_FOUND');
}

/** The key's id when it is valid and not revoked. Last use is recorded at most once a minute per key. */
export async function resolveApiKey(db: D1Database, key: string, nowMs: number): Promise<string | null> {
  const keyHash = await apiKeyHashOf(key);
  if (keyHash === null) return null;
  // One round trip: the lookup and the last-use bookkeeping go to D1 together.
  const [rows] = await db.batch([apiKeyLookupStatement(db, keyHash), touchApiKeyStatement(db, keyHash, nowMs)]);
  return (rows!.results[0] as { id: string } | undefined)?.id ?? null;
}

/** SHA-256 of a presented key as stored in `api_keys.key_hash`; null for something that cannot be a key. */
export async function apiKeyHashOf(key: string): Promise<string | null> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
  return sha256Hex(key);
}

/**
 * The SQL condition "this key hash names a key that is not revoked", for statements that must only take effect
 * for a valid key (the verify API puts the key check into its read batch). `param` is the placeholder bound to
 * the hash, e.g. `?5`.
 */
export function validApiKeyCondition(param: string): string {
  return `EXISTS (SELECT 1 FROM api_keys WHERE key_hash = ${param} AND revoked_at IS NULL)`;
}

/** Reads the id of a valid (not revoked) key: no row means refuse. Never cached, so a revocation counts at once. */
export function apiKeyLookupStatement(db: D1Database, keyHash: string): D1PreparedStatement {
  return db.prepare('SELECT id FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL').bind(keyHash);
}

/** Records the key's last use, at most once a minute (the condition keeps the write off most requests). */
export function touchApiKeyStatement(db: D1Database, keyHash: string, nowMs: number): D1PreparedStatement {
  return db
    .prepare('UPDATE api_keys SET last_used_at = ?1 WHERE key_hash = ?2 AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < ?1 - 60000)')
    .bind(nowMs, keyHash);
}
