/** /api/admin/tokens/import: batches of hardware tokens from CSV (and PSKC). */
import { z } from 'zod';
import { MAX_IMPORT_BODY_BYTES } from '../constants';
import { auditOf } from '../audit/record';
import { apiRouter, json, jsonBody, route } from '../lib/api-router';
import { importAnswer } from './answers';
import { readTokenCsv } from './import-csv';
import { readTokenPskc } from './import-pskc';
import { importTokens } from './import-service';

const csvBody = z.strictObject({ csv: z.string().min(1).max(MAX_IMPORT_BODY_BYTES), dryRun: z.boolean().optional() });
const pskcBody = z.strictObject({ xml: z.string().min(1).max(MAX_IMPORT_BODY_BYTES), preSharedKeyHex: z.string().max(64).optional(), dryRun: z.boolean().optional() });

// The file travels inside the JSON body: its cap plus room for the other fields.
const importBody = { maxBodyBytes: MAX_IMPORT_BODY_BYTES + 1024 };
const tags = ['Tokens'];
const imported = json(importAnswer, 'What was (or, in a dry run, would be) imported');

export const tokenImportRoutes = apiRouter()
  .openapi(
    route({ method: 'post', path: '/csv', tags, summary: 'Import tokens from CSV (serial, seed, type, digits, counter or period)', request: { body: jsonBody(csvBody) }, responses: { 200: imported } }, importBody),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await importTokens(c.env, readTokenCsv(body.csv), Boolean(body.dryRun), c.var.now, auditOf(c)), 200);
    },
  )
  .openapi(
    route({ method: 'post', path: '/pskc', tags, summary: 'Import tokens from a PSKC (RFC 6030) file', request: { body: jsonBody(pskcBody) }, responses: { 200: imported } }, importBody),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await importTokens(c.env, await readTokenPskc(body.xml, body.preSharedKeyHex), Boolean(body.dryRun), c.var.now, auditOf(c)), 200);
    },
  );
