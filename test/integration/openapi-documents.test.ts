/**
 * The API contract: both OpenAPI documents are generated from the routes' declarations, are valid OpenAPI 3.1,
 * and leave no admin route out (nor a profile, sign-in, SAML or portal route); a refused body answers the error
 * envelope the document promises.
 */
import { compileErrors, validate } from '@readme/openapi-parser';
import { OpenAPIHono } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adminRoutes } from '../../worker/admin/routes';
import { authRoutes } from '../../worker/auth/routes';
import { profileRoutes } from '../../worker/profile/routes';
import { samlRoutes } from '../../worker/saml/routes';
import { portalRoutes } from '../../worker/selfservice/routes';
import { registerSharedComponents } from '../../worker/lib/api-router';
import { ErrorEnvelope } from '../../worker/lib/api-router';
import { LOGIN_MAX_LENGTH } from '../../worker/contract/fields';
import type { AppBindings } from '../../worker/env';
import { adminClient, call, json, unique } from '../helpers/worker';

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
    // The portal router's context carries the portal's own variables; only its declarations are read here.
    ['/api/portal', portalRoutes as unknown as OpenAPIHono<AppBindings>, 40],
  ] as const)('%s is declared the same way: every route, in a valid document', async (mount, router, atLeast) => {
    const app = new OpenAPIHono<AppBindings>();
    registerSharedComponents(app);
    app.route(mount, router);
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: mount, version: '1' } });
    const served = servedBy(router, mount);
    expect(served.length).toBeGreaterThan(atLeast);
    expect(served.filter((route) => !operationsOf(doc).has(route)).sort()).toEqual([]);
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
  });

  it("the portal's document names its alias and says the answers the portal page reads, field by field", () => {
    const app = new OpenAPIHono();
    app.route('/api/portal', portalRoutes as unknown as OpenAPIHono<AppBindings>);
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'portal', version: '1' } });
    const signIn = doc.paths!['/api/portal/{alias}/signin']!.post!;
    expect(signIn.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'alias', required: true })]);
    const body = (signIn.requestBody as { content: Record<string, { schema: { properties: Record<string, object> } }> }).content['application/json']!.schema;
    expect(body.properties.login).toMatchObject({ type: 'string', minLength: 1, maxLength: 128 });
    const me = doc.paths!['/api/portal/{alias}/me']!.get!.responses![200] as { content: Record<string, { schema: { properties: Record<string, object>; required: string[] } }> };
    const overview = me.content['application/json']!.schema;
    expect(overview.required).toEqual(expect.arrayContaining(['resource', 'actions', 'tokenTypes', 'user', 'token', 'recoveryCodes', 'csrfToken']));
    expect((overview.properties.user as { required: string[] }).required).toEqual(expect.arrayContaining(['login', 'email', 'language', 'hasPassword']));
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

describe('admin answers match the document', async () => {
  const adminDoc = await json(call('/api/admin/openapi.json'));

  /**
   * A zod schema read back from the document's answer for `method path` and `status`. Every object is closed
   * (no field the document does not name), so an answer that carries one more field than documented (a hash, a
   * seed, a column spread by mistake) fails as surely as one that lacks a documented field.
   */
  function documentedAnswer(method: string, path: string, status: number) {
    const schema = adminDoc.paths[path][method].responses[status].content['application/json'].schema;
    const close = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(close);
      if (!node || typeof node !== 'object') return node;
      const entries = Object.entries(node).map(([key, value]) => [key, key === '$ref' ? String(value).replace('#/components/schemas/', '#/$defs/') : close(value)]);
      const closed = Object.fromEntries(entries) as Record<string, unknown>;
      if (closed.type === 'object' && closed.properties && !('additionalProperties' in closed)) closed.additionalProperties = false;
      return closed;
    };
    return z.fromJSONSchema({ ...(close(schema) as object), $defs: close(adminDoc.components.schemas) } as never);
  }

  it('a page of users, a user page, a token, its enrolment, a resource, its assignments, the API keys, the audit trail, user issues and user activities parse by their documented schema', async () => {
    const admin = await adminClient();
    const user = await admin.post('/users', { login: unique('doc-user-'), email: 'doc@example.test', phone: '+49 170 1234567', password: 'a long password 1' });
    const enrolment = await admin.post(`/tokens/software`, { type: 'TOTP', ownerUserId: user.id, description: 'documented' });
    const resource = await admin.post('/resources', { name: unique('doc-resource-'), description: 'documented' });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: enrolment.token.id });
    // A refused sign-in, so the user has an activity to list.
    await call('/api/auth/login', { method: 'POST', json: { login: user.login, password: 'not the password' } });
    const answers: Array<[string, string, number, unknown]> = [
      ['get', '/api/admin/users', 200, await admin.get(`/users?search=${user.login}`)],
      ['get', '/api/admin/users/{id}/overview', 200, await admin.get(`/users/${user.id}/overview`)],
      ['post', '/api/admin/tokens/software', 201, enrolment],
      ['get', '/api/admin/tokens/{id}', 200, await admin.get(`/tokens/${enrolment.token.id}`)],
      ['get', '/api/admin/tokens', 200, await admin.get(`/tokens?search=${enrolment.token.serial}`)],
      ['get', '/api/admin/resources/{id}', 200, await admin.get(`/resources/${resource.id}`)],
      ['get', '/api/admin/resources/{id}/assignments', 200, await admin.get(`/resources/${resource.id}/assignments`)],
      ['get', '/api/admin/api-keys', 200, await admin.get('/api-keys')],
      ['get', '/api/admin/audit', 200, await admin.get(`/audit?objectType=resource&pageSize=5`)],
      ['get', '/api/admin/activities', 200, await admin.get(`/activities?user=${user.login}`)],
      ['get', '/api/admin/activities/grouped', 200, await admin.get(`/activities/grouped?user=${user.login}`)],
      ['get', '/api/admin/user-issues', 200, await admin.get('/user-issues')],
    ];
    for (const [method, path, status, answer] of answers) {
      const parsed = documentedAnswer(method, path, status).safeParse(answer);
      expect(parsed.success ? '' : `${method} ${path}: ${z.prettifyError(parsed.error)}`).toBe('');
    }
    // Not a vacuous pass: the answers hold what was made.
    expect((answers[0]![3] as { items: Array<{ id: string }> }).items.map((item) => item.id)).toEqual([user.id]);
    expect((answers[6]![3] as { items: Array<{ token: { id: string } }> }).items[0]!.token.id).toBe(enrolment.token.id);
    expect((answers[10]![3] as { items: Array<{ login: string }> }).items.map((item) => item.login)).toContain(user.login);
  });

  it('a field the document does not name is refused by that reading (the check can fail)', async () => {
    const admin = await adminClient();
    const user = await admin.get(`/users/${admin.ownerUserId}`);
    const documented = documentedAnswer('get', '/api/admin/users/{id}', 200);
    expect(documented.safeParse(user).success).toBe(true);
    expect(documented.safeParse({ ...user, passwordHash: 'x' }).success).toBe(false);
    const { login: _dropped, ...withoutLogin } = user;
    expect(documented.safeParse(withoutLogin).success).toBe(false);
  });
});
