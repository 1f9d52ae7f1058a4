/** Admin API: /api/admin/sign-in-script — the Script Designer's backend. */
import { z } from 'zod';
import { currentUserId } from '../auth/middleware';
import { auditOf } from '../audit/record';
import { SCRIPT_SOURCE_MAX_BYTES } from '../constants';
import { apiRouter, json, jsonBody, noContent, route } from '../lib/api-router';
import { scriptCatalogueAnswer, scriptCheckAnswer, scriptStateAnswer, scriptTestRunAnswer, scriptUserFieldsAnswer, scriptVersionAnswer } from './answers';
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

function actionCatalogue() {
  return {
    items: ACTIONS.map(({ name, aliases, category, result, doc, parameters, positional }) => ({
      name,
      aliases: [...aliases],
      category,
      result,
      doc,
      parameters: parameters.map(({ name, type, required, doc }) => ({ name, type, required, doc })),
      positional: [...positional],
    })),
    contextVariables: [...CONTEXT_VARIABLES],
    types: TYPE_NAMES,
  };
}

/** The services' answers, which answers.ts ties the declared answers to (the designer reads those through the typed client). */
export type ScriptStateResponse = Awaited<ReturnType<typeof readScriptState>>;
export type ScriptCatalogueResponse = ReturnType<typeof actionCatalogue>;
export type ScriptTestRunResponse = Awaited<ReturnType<typeof testRunScript>>;

const checkBody = z.strictObject({ source });
const saveBody = z.strictObject({ source: source.min(1), onError: z.enum(['deny', 'continue']).optional() });
const enabledBody = z.strictObject({ enabled: z.boolean() });
const testRunBody = z.strictObject({ source: source.min(1), claims: claims.default({}), userId: z.uuid().nullable().optional() });

const tags = ['Sign-in script'];
const scriptState = json(scriptStateAnswer, 'The script, its versions, policy and kill switch');

export const scriptAdminRoutes = apiRouter()
  .openapi(route({ method: 'get', path: '/', tags, summary: 'The sign-in script, its versions, policy and kill switch', responses: { 200: scriptState } }), async (c) =>
    c.json(await readScriptState(c.env.DB), 200),
  )
  // The action catalogue with its documentation, for the designer's completion and hover.
  .openapi(route({ method: 'get', path: '/actions', tags, summary: 'The action catalogue with parameters and documentation', responses: { 200: json(scriptCatalogueAnswer, 'The catalogue') } }), (c) =>
    c.json(actionCatalogue(), 200),
  )
  // The user's system names, for the designer's GetSystemName picker and completion.
  .openapi(
    route({ method: 'get', path: '/user-fields', tags, summary: 'System names of the user fields scripts may read and write', responses: { 200: json(scriptUserFieldsAnswer, 'The fields') } }),
    (c) => c.json({ items: SCRIPT_USER_FIELDS.map(({ name, writable, type, description }) => ({ name, writable, type, description })) }, 200),
  )
  .openapi(
    route({ method: 'post', path: '/check', tags, summary: 'Check a script; problems with code, line and column', request: { body: jsonBody(checkBody) }, responses: { 200: json(scriptCheckAnswer, 'The problems found') } }),
    async (c) => c.json(await checkScriptSource(c.env.DB, c.req.valid('json').source), 200),
  )
  .openapi(route({ method: 'put', path: '/', tags, summary: 'Check and save a new version ({source, onError})', request: { body: jsonBody(saveBody) }, responses: { 200: scriptState } }), async (c) =>
    c.json(await saveScript(c.env.DB, { ...c.req.valid('json'), savedByUserId: currentUserId(c), nowMs: c.var.now }, auditOf(c)), 200),
  )
  .openapi(route({ method: 'delete', path: '/', tags, summary: 'Delete the script (versions stay)', responses: noContent }), async (c) => {
    await deleteScript(c.env.DB, c.var.now, auditOf(c));
    return c.body(null, 204);
  })
  .openapi(route({ method: 'put', path: '/enabled', tags, summary: 'Kill switch ({enabled})', request: { body: jsonBody(enabledBody) }, responses: { 200: scriptState } }), async (c) => {
    await setScriptEnabled(c.env.DB, c.req.valid('json').enabled, c.var.now, auditOf(c));
    return c.json(await readScriptState(c.env.DB), 200);
  })
  .openapi(route({ method: 'get', path: '/versions/{version}', tags, summary: 'One saved version', request: { params: versionParam }, responses: { 200: json(scriptVersionAnswer, 'The version') } }), async (c) =>
    c.json(await readVersionSource(c.env.DB, c.req.valid('param').version), 200),
  )
  .openapi(
    route({ method: 'post', path: '/versions/{version}/restore', tags, summary: 'Save an old version again as the newest', request: { params: versionParam }, responses: { 200: scriptState } }),
    async (c) => c.json(await restoreVersion(c.env.DB, c.req.valid('param').version, currentUserId(c), c.var.now, auditOf(c)), 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/test-run',
      tags,
      summary: 'Dry run on sample claims or a user: trace and effects, nothing changed',
      request: { body: jsonBody(testRunBody) },
      responses: { 200: json(scriptTestRunAnswer, 'The trace and effects, or the problems') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await testRunScript(c.env.DB, { source: body.source, claims: body.claims, userId: body.userId ?? null, nowMs: c.var.now }), 200);
    },
  );
