/**
 * /api/admin/tokens/import: batches of hardware tokens from CSV (and PSKC). A dry run shows what would be
 * imported; a real run inserts every token in one D1 batch, or none.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_IMPORT_BODY_BYTES } from '../constants';
import { auditOf, type Audit } from '../audit/record';
import type { AppBindings } from '../env';
import { AppError } from '../errors';
import { parseJsonBody } from '../lib/validate';
import { readTokenCsv, type ImportedToken } from './import-csv';
import { readTokenPskc } from './import-pskc';
import { insertTokenBatch } from './service';

const csvBody = z.strictObject({ csv: z.string().min(1).max(MAX_IMPORT_BODY_BYTES), dryRun: z.boolean().optional() });
const pskcBody = z.strictObject({ xml: z.string().min(1).max(MAX_IMPORT_BODY_BYTES), preSharedKeyHex: z.string().max(64).optional(), dryRun: z.boolean().optional() });

export const tokenImportRoutes = new Hono<AppBindings>()
  .post('/csv', async (c) => {
    const body = await parseJsonBody(c, csvBody, MAX_IMPORT_BODY_BYTES + 1024);
    return c.json(await importTokens(c, readTokenCsv(body.csv), Boolean(body.dryRun), auditOf(c)));
  })
  .post('/pskc', async (c) => {
    const body = await parseJsonBody(c, pskcBody, MAX_IMPORT_BODY_BYTES + 1024);
    return c.json(await importTokens(c, await readTokenPskc(body.xml, body.preSharedKeyHex), Boolean(body.dryRun), auditOf(c)));
  });

async function importTokens(c: { env: AppBindings['Bindings']; var: { now: number } }, tokens: ImportedToken[], dryRun: boolean, audit: Audit) {
  const summary = tokens.map((t) => ({ serial: t.serial, type: t.type, algorithm: t.algorithm, digits: t.digits, counter: t.counter, periodSeconds: t.periodSeconds }));
  const serials = tokens.map((t) => t.serial);
  // Serials already in the database are reported by line in a dry run too, not only by the insert failing.
  const existing = await c.env.DB.prepare(`SELECT serial FROM tokens WHERE lower(serial) IN (SELECT lower(value) FROM json_each(?))`).bind(JSON.stringify(serials)).all<{ serial: string }>();
  if (existing.results.length) {
    throw new AppError('SERIAL_TAKEN', `${existing.results.length} serial(s) already exist; nothing was imported.`, {
      problems: existing.results.map((row) => ({ field: 'serial', message: `${row.serial} already exists` })),
    });
  }
  if (dryRun) return { imported: 0, dryRun: true, tokens: summary };
  const result = await insertTokenBatch(c.env, tokens, c.var.now, audit);
  return { imported: result.created, tokens: summary };
}
