/** Admin API: /api/admin/sign-in-script — the Script Designer's backend. */
import { Hono } from 'hono';
import { z } from 'zod';
import { currentUserId } from '../auth/middleware';
import { auditOf } from '../audit/record';
import type { AppBindings } from '../env';
import { SCRIPT_SOURCE_MAX_BYTES } from '../constants';
import { parse, parseJsonBody } from '../lib/validate';
import { ACTIONS, CONTEXT_VARIABLES, TYPE_NAMES } from '../../script-engine';
import { SCRIPT_USER_FIELDS } from './user-fields';
import {
  checkScriptSource,
  deleteScript,
  readScriptState,
  readVersionSource,
  restoreVersion,
  saveScript,
  setScriptEnabled,
  testRunScript,
} from './service';

const source = z.string().max(SCRIPT_SOURCE_MAX_BYTES, `must be at most ${SCRIPT_SOURCE_MAX_BYTES} characters`);
const versionParam = z.object({ version: z.coerce.number().int().positive() });
const claimValues = z.array(z.string().max(4096)).max(100);
const claims = z.record(z.string().min(1).max(512), claimValues).refine((value) => Object.keys(value).length <= 200, 'at most 200 claims');

export const scriptAdminRoutes = new Hono<AppBindings>()
  .get('/', async (c) => c.json(await readScriptState(c.env.DB)))
  // The action catalogue with its documentation, for the designer's completion and hover.
  .get('/actions', (c) =>
    c.json({
      items: ACTIONS.map(({ name, aliases, category, result, doc, parameters, positional }) => ({
        name,
        aliases,
        category,
        result,
        doc,
        parameters: parameters.map(({ name, type, required, doc }) => ({ name, type, required, doc })),
        positional,
      })),
      contextVariables: CONTEXT_VARIABLES,
      types: TYPE_NAMES,
    }),
  )
  // The user's system names, for the designer's GetSystemName picker and completion.
  .get('/user-fields', (c) => c.json({ items: SCRIPT_USER_FIELDS.map(({ name, writable, type, description }) => ({ name, writable, type, description })) }))
  .post('/check', async (c) => {
    const body = await parseJsonBody(c, z.strictObject({ source }));
    return c.json(await checkScriptSource(c.env.DB, body.source));
  })
  .put('/', async (c) => {
    const body = await parseJsonBody(c, z.strictObject({ source: source.min(1), onError: z.enum(['deny', 'continue']).optional() }));
    return c.json(await saveScript(c.env.DB, { ...body, savedByUserId: currentUserId(c), nowMs: c.var.now }, auditOf(c)));
  })
  .delete('/', async (c) => {
    await deleteScript(c.env.DB, c.var.now, auditOf(c));
    return c.body(null, 204);
  })
  .put('/enabled', async (c) => {
    const { enabled } = await parseJsonBody(c, z.strictObject({ enabled: z.boolean() }));
    await setScriptEnabled(c.env.DB, enabled, c.var.now, auditOf(c));
    return c.json(await readScriptState(c.env.DB));
  })
  .get('/versions/:version', async (c) => c.json(await readVersionSource(c.env.DB, parse(versionParam, c.req.param()).version)))
  .post('/versions/:version/restore', async (c) => {
    const { version } = parse(versionParam, c.req.param());
    return c.json(await restoreVersion(c.env.DB, version, currentUserId(c), c.var.now, auditOf(c)));
  })
  .post('/test-run', async (c) => {
    const body = await parseJsonBody(c, z.strictObject({ source: source.min(1), claims: claims.default({}), userId: z.uuid().nullable().optional() }));
    return c.json(await testRunScript(c.env.DB, { source: body.source, claims: body.claims, userId: body.userId ?? null, nowMs: c.var.now }));
  });
