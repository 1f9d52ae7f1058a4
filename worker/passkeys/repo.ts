/** A user's own passkeys: the list /profile shows, renaming and removing one. */
import { activityStatementIf, type ActivityInput } from '../activities/record';
import { AppError } from '../errors';
import { CONSUMED_BY_PREVIOUS_STATEMENT } from '../otp/verify-service';

export interface PasskeyEntry {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  backedUp: boolean;
  transports: string[];
}

interface EntryRow {
  id: string;
  description: string;
  created_at: number;
  last_used_at: number | null;
  backed_up: number;
  transports: string;
}

const ENTRY_SQL = `SELECT t.id, t.description, t.created_at, t.last_used_at, pc.backed_up, pc.transports
  FROM tokens t JOIN passkey_credentials pc ON pc.token_id = t.id WHERE t.type = 'PASSKEY' AND t.owner_user_id = ?`;

const toEntry = (row: EntryRow): PasskeyEntry => ({
  id: row.id,
  name: row.description,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  backedUp: row.backed_up === 1,
  transports: JSON.parse(row.transports) as string[],
});

export async function listPasskeys(db: D1Database, userId: string): Promise<PasskeyEntry[]> {
  const { results } = await db.prepare(`${ENTRY_SQL} ORDER BY t.created_at`).bind(userId).all<EntryRow>();
  return results.map(toEntry);
}

export async function getPasskey(db: D1Database, userId: string, tokenId: string): Promise<PasskeyEntry> {
  const row = await db.prepare(`${ENTRY_SQL} AND t.id = ?`).bind(userId, tokenId).first<EntryRow>();
  if (!row) throw new AppError('PASSKEY_NOT_FOUND');
  return toEntry(row);
}

export async function renamePasskey(db: D1Database, userId: string, tokenId: string, name: string): Promise<PasskeyEntry> {
  const result = await db.prepare(`UPDATE tokens SET description = ? WHERE id = ? AND owner_user_id = ? AND type = 'PASSKEY'`).bind(name, tokenId, userId).run();
  if (result.meta.changes !== 1) throw new AppError('PASSKEY_NOT_FOUND');
  return getPasskey(db, userId, tokenId);
}

/**
 * Removes the user's passkey in one batch: its assignments fall back to plain "user" first (the assignments CHECK
 * forbids a dangling "token with user"), its credential goes, then the token, and `activity` is written only when
 * the token did. PASSKEY_NOT_FOUND when it is not the user's passkey.
 */
export async function removePasskey(db: D1Database, userId: string, tokenId: string, activity: ActivityInput): Promise<void> {
  const owned = `EXISTS (SELECT 1 FROM tokens WHERE id = ?2 AND owner_user_id = ?1 AND type = 'PASSKEY')`;
  const [, , deleted] = await db.batch([
    db.prepare(`UPDATE assignments SET kind = 'user', token_id = NULL WHERE token_id = ?2 AND ${owned}`).bind(userId, tokenId),
    db.prepare(`DELETE FROM passkey_credentials WHERE token_id = ?2 AND ${owned}`).bind(userId, tokenId),
    db.prepare(`DELETE FROM tokens WHERE id = ? AND owner_user_id = ? AND type = 'PASSKEY' RETURNING id`).bind(tokenId, userId),
    activityStatementIf(db, activity, CONSUMED_BY_PREVIOUS_STATEMENT),
  ]);
  if (deleted!.results.length !== 1) throw new AppError('PASSKEY_NOT_FOUND');
}
