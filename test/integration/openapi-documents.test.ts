/**
 * The API contract: both OpenAPI documents are generated from the routes' declarations, are valid OpenAPI 3.1,
 * and leave no admin route out; a refused body answers the error envelope the document promises.
 */
import { compileErrors, validate } from '@readme/openapi-parser';
import { OpenAPIHono } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { adminRoutes } from '../../worker/admin/routes';
import { authRoutes } from '../../worker/auth/routes';
import { profileRoutes } from '../../worker/profile/routes';
import { samlRoutes } from '../../worker/saml/routes';
import { registerSharedComponents } from '../../worker/lib/api-router';
import { ErrorEnvelope } from '../../worker/lib/api-router';
import { LOGIN_MAX_LENGTH } from '../../worker/contract/fields';
import { adminClient, call, json } from '../helpers/worker';

/** What a router serves, as "METHOD /path/{param}" under its mount point. */
const servedBy = (router: { routes: Array<{ method: string; path: string }> }, mount: string) =>
  [...new Set(router.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${mount}${r.path.replace(/\/$/, '').replace(/:(\w+)/g, '{$1}')}`))];

const operationsOf = (doc: { paths?: Record<string, object> }) =>
  new Set(Object.entries(doc.paths ?? {}).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`)));

describe('OpenAPI documents', async () => {
  const adminDoc = await json(call('/api/admin/openapi.json'));
  const verifyDoc = await json(call('/api/v1/openapi.json'));

  it('both are valid OpenAPI 3.1 documents', async () => {
    for (const doc of [adminDoc, verifyDoc]) {
      expect(doc.openapi).toBe('3.1.0');
      // validate() dereferences in place: give it a copy.
      const result = await validate(structuredClone(doc));
      expect(result.valid ? '' : compileErrors(result)).toBe('');
    }
  });

  it('every mounted admin route is declared (a route added without a declaration fails here)', () => {
    const documented = operationsOf(adminDoc);
    const served = servedBy(adminRoutes, '/api/admin');
    expect(served.length).toBeGreaterThan(80);
    expect(served.filter((route) => !documented.has(route)).sort()).toEqual([]);
  });

  it.each([
    ['/api/profile', profileRoutes, 10],
    ['/api/auth', authRoutes, 10],
    ['/saml', samlRoutes, 2],
  ] as const)('%s is declared the same way: every route, in a valid document', async (mount, router, atLeast) => {
    const app = new OpenAPIHono();
    registerSharedComponents(app);
    app.route(mount, router);
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: mount, version: '1' } });
    const served = servedBy(router, mount);
    expect(served.length).toBeGreaterThan(atLeast);
    expect(served.filter((route) => !operationsOf(doc).has(route)).sort()).toEqual([]);
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
  });

  it('bodies carry the rules the server applies (one zod schema for both)', () => {
    const login = adminDoc.paths['/api/admin/users'].post.requestBody.content['application/json'].schema.properties.login;
    expect(login).toMatchObject({ type: 'string', minLength: 1, maxLength: LOGIN_MAX_LENGTH });
    const verify = verifyDoc.paths['/api/v1/verify'].post;
    expect(verify.requestBody.content['application/json'].schema.properties.resource).toMatchObject({ minLength: 1, maxLength: 120 });
    expect(verify.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(verifyDoc.paths)).toEqual(['/api/v1/verify']);
  });

  it('a refusal answers the documented error envelope with its field issues', async () => {
    // An integrator's client reads refusals by the shared Error response: what the server sends must match it.
    expect(adminDoc.paths['/api/admin/users'].post.responses.default).toEqual({ $ref: '#/components/responses/Error' });
    const admin = await adminClient();
    const response = await admin.request('/users', { method: 'POST', json: { login: 'has space', colour: 'red' } });
    expect(response.status).toBe(400);
    const body = ErrorEnvelope.parse(await json(response));
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect((body.error.details as { issues: unknown[] }).issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'login', code: 'invalid_format', message: expect.any(String) }),
        expect.objectContaining({ path: '', code: 'unrecognized_keys', params: { keys: ['colour'] } }),
      ]),
    );
  });
});
