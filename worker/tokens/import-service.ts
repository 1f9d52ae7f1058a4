/**
 * Token imports: a dry run shows what would be imported; a real run inserts every token in one D1 batch, or none.
 */
import type { Audit } from '../audit/record';
import type { Env } from '../env';
import { AppError } from '../errors';
import type { ImportedToken } from './import-csv';
import { takenSerials } from './repo';
import { insertTokenBatch } from './service';

export async function importTokens(env: Pick<Env, 'DB' | 'SEED_ENCRYPTION_KEY' | 'SESSION_KEY'>, tokens: ImportedToken[], dryRun: boolean, nowMs: number, audit: Audit) {
  const summary = tokens.map((t) => ({ serial: t.serial, type: t.type, algorithm: t.algorithm, digits: t.digits, counter: t.counter, periodSeconds: t.periodSeconds }));
  // Serials already in the database are reported by line in a dry run too, not only by the insert failing.
  const existing = await takenSerials(env.DB, tokens.map((t) => t.serial));
  if (existing.length) {
    throw new AppError('SERIAL_TAKEN', `${existing.length} serial(s) already exist; nothing was imported.`, {
      problems: existing.map((serial) => ({ field: 'serial', message: `${serial} already exists` })),
    });
  }
  if (dryRun) return { imported: 0, dryRun: true, tokens: summary };
  const result = await insertTokenBatch(env, tokens, nowMs, audit);
  return { imported: result.created, tokens: summary };
}
