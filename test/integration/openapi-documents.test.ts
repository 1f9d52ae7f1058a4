/**
 * The API contract: the three served OpenAPI documents (admin, verify, and the browser surfaces: sign-in, profile,
 * portal, SAML) are generated from the routes' declarations, are valid OpenAPI 3.1 and leave no route out; a refused
 * body answers the error envelope the document promises; real answers parse by their documented schemas.
 */
import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { adminRoutes } from '../../worker/admin/routes';
import { ErrorEnvelope } from '../../worker/lib/api-router';
import { LOGIN_MAX_LENGTH } from '../../worker/contract/fields';
import { BROWSER_API_MOUNTS } from '../../worker/openapi/routes';
import { adminClient, call, insertUser, json, signIn, unique } from '../helpers/worker';
import { assignedUser, portalClient, portalWith } from '../helpers/portal';
import { samlYaml } from '../setup/saml-test-support';

/** What a router serves, as "METHOD /path/{param}" under its mount point. */
const servedBy = (router: { routes: Array<{ method: string; path: string }> }, mount: string) =>
  [...new Set(router.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${mount}${r.path.replace(/\/$/, '').replace(/:(\w+)/g, '{$1}')}`))];

const operationsOf = (doc: { paths?: Record<string, object> }) =>
  new Set(Object.entries(doc.paths ?? {}).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`)));

describe('OpenAPI documents', async () => {
  const adminDoc = await json(call('/api/admin/openapi.json'));
  const verifyDoc = await json(call('/api/v1/openapi.json'));
  const browserDoc = await json(call('/api/openapi.json'));

  it('all three are valid OpenAPI 3.1 documents', async () => {
    for (const doc of [adminDoc, verifyDoc, browserDoc]) {
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

  const atLeast: Record<string, number> = { '/api/auth': 10, '/api/profile': 10, '/api/portal': 40, '/saml': 2 };
  it.each(BROWSER_API_MOUNTS.map(([mount, router]) => [mount, router] as const))('%s: every route is in the browser document (/api/openapi.json)', (mount, router) => {
    const served = servedBy(router, mount);
    expect(served.length).toBeGreaterThan(atLeast[mount]!);
    expect(served.filter((route) => !operationsOf(browserDoc).has(route)).sort()).toEqual([]);
  });

  it('the browser document names no API key and no admin route (it is for sign-in, profile and portal pages)', () => {
    expect(Object.keys(browserDoc.components.securitySchemes ?? {})).toEqual([]);
    expect(Object.keys(browserDoc.paths).filter((path) => path.startsWith('/api/admin') || path.startsWith('/api/v1'))).toEqual([]);
  });

  it("the portal's document names its alias and says the answers the portal page reads, field by field", () => {
    const doc = browserDoc;
    const portalSignIn = doc.paths['/api/portal/{alias}/signin'].post;
    expect(portalSignIn.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'alias', required: true })]);
    const body = (portalSignIn.requestBody as { content: Record<string, { schema: { properties: Record<string, object> } }> }).content['application/json']!.schema;
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

/**
 * A zod schema read back from the document's answer for `method path` and `status`. Every object is closed (no
 * field the document does not name), so an answer that carries one more field than documented (a hash, a seed, a
 * column spread by mistake) fails as surely as one that lacks a documented field.
 */
function answerIn(doc: any) {
  return function documentedAnswer(method: string, path: string, status: number) {
    const schema = doc.paths[path][method].responses[status].content['application/json'].schema;
    const close = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(close);
      if (!node || typeof node !== 'object') return node;
      const entries = Object.entries(node).map(([key, value]) => [key, key === '$ref' ? String(value).replace('#/components/schemas/', '#/$defs/') : close(value)]);
      const closed = Object.fromEntries(entries) as Record<string, unknown>;
      if (closed.type === 'object' && closed.properties && !('additionalProperties' in closed)) closed.additionalProperties = false;
      return closed;
    };
    return z.fromJSONSchema({ ...(close(schema) as object), $defs: close(doc.components.schemas ?? {}) } as never);
  };
}

/** Each answer parsed by its documented schema; the failures named by route, so one message says them all. */
function misfits(documentedAnswer: ReturnType<typeof answerIn>, answers: Array<[string, string, number, unknown]>) {
  return answers.flatMap(([method, path, status, answer]) => {
    const parsed = documentedAnswer(method, path, status).safeParse(answer);
    return parsed.success ? [] : [`${method} ${path}: ${z.prettifyError(parsed.error)}`];
  });
}

describe('admin answers match the document', async () => {
  const documentedAnswer = answerIn(await json(call('/api/admin/openapi.json')));

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
    expect(misfits(documentedAnswer, answers)).toEqual([]);
    // Not a vacuous pass: the answers hold what was made.
    expect((answers[0]![3] as { items: Array<{ id: string }> }).items.map((item) => item.id)).toEqual([user.id]);
    expect((answers[6]![3] as { items: Array<{ token: { id: string } }> }).items[0]!.token.id).toBe(enrolment.token.id);
    expect((answers[10]![3] as { items: Array<{ login: string }> }).items.map((item) => item.login)).toContain(user.login);
  });

  it('the SAML editor state, a validation with problems, a save, an apply and a metadata import parse by their documented schema', async () => {
    const admin = await adminClient();
    const metadata = `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.doc.example/metadata">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${inject('samlIdpCertificate')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.doc.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
    const answers: Array<[string, string, number, unknown]> = [
      ['get', '/api/admin/saml', 200, await admin.get('/saml?language=de')],
      ['post', '/api/admin/saml/validate', 200, await admin.post('/saml/validate', { yaml: 'version: "1.0"\nconfig:\n  entityId: 1\n' })],
      ['post', '/api/admin/saml/validate', 200, await admin.post('/saml/validate', { yaml: samlYaml() })],
      ['put', '/api/admin/saml', 200, await json(admin.request('/saml', { method: 'PUT', json: { yaml: samlYaml(), allowSignIn: false } }))],
      ['post', '/api/admin/saml/apply', 200, await admin.post('/saml/apply', {})],
      ['post', '/api/admin/saml/import-metadata', 200, await admin.post('/saml/import-metadata', { metadata, yaml: samlYaml() })],
    ];
    expect(misfits(documentedAnswer, answers)).toEqual([]);
    expect((answers[1]![3] as { errors: unknown[] }).errors.length).toBeGreaterThan(0);
    expect((answers[4]![3] as { applied: { version: number } | null }).applied).not.toBeNull();
    expect((answers[5]![3] as { entityId: string }).entityId).toBe('https://idp.doc.example/metadata');
  });

  it('the messaging settings (masked), a saved change, a template preview, a test message, the outbox and the message log parse by their documented schema', async () => {
    const admin = await adminClient();
    const testMessage = await admin.post('/messaging/test-message', { channel: 'sms', to: '+49 170 7654321' });
    const twilio = { type: 'twilio', accountSid: `AC${'0'.repeat(32)}`, authToken: 'a secret token', from: '+4915112345678' };
    const saved = await json(admin.request('/messaging/settings', { method: 'PUT', json: { sms: { primary: twilio, fallback: null } } }));
    const answers: Array<[string, string, number, unknown]> = [
      ['post', '/api/admin/messaging/test-message', 200, testMessage],
      ['put', '/api/admin/messaging/settings', 200, saved],
      ['get', '/api/admin/messaging/settings', 200, await admin.get('/messaging/settings')],
      ['post', '/api/admin/messaging/templates/preview', 200, await admin.post('/messaging/templates/preview', { language: 'de', templates: { sms: 'Code {{code}} {{unknown}}' } })],
      ['get', '/api/admin/messaging/outbox', 200, await admin.get('/messaging/outbox?channel=sms')],
      ['get', '/api/admin/messaging/message-log', 200, await admin.get('/messaging/message-log')],
    ];
    expect(misfits(documentedAnswer, answers)).toEqual([]);
    // The secret is answered masked, and the sent message is in the outbox and the log.
    expect((answers[1]![3] as { sms: { primary: { authToken: string } } }).sms.primary.authToken).not.toBe(twilio.authToken);
    expect((answers[4]![3] as { items: Array<{ recipient: string }> }).items.length).toBeGreaterThan(0);
    expect((answers[5]![3] as { items: Array<{ id: string }> }).items.map((item) => item.id)).toContain(testMessage.logId);
  });

  it("the sign-in script's state, the action catalogue, checks with and without problems and a save parse by their documented schema", async () => {
    const admin = await adminClient();
    const source = 'version: 1\nactions:\n  - SetValue: { object: { var: Context.User }, field: lastName, value: { GetEntry: { key: sn, index: 0 } } }\n';
    const answers: Array<[string, string, number, unknown]> = [
      ['get', '/api/admin/sign-in-script/actions', 200, await admin.get('/sign-in-script/actions')],
      ['post', '/api/admin/sign-in-script/check', 200, await admin.post('/sign-in-script/check', { source: 'version: 1\nactions:\n  - NoSuchAction: {}\n' })],
      ['post', '/api/admin/sign-in-script/check', 200, await admin.post('/sign-in-script/check', { source })],
      ['put', '/api/admin/sign-in-script', 200, await json(admin.request('/sign-in-script', { method: 'PUT', json: { source } }))],
      ['get', '/api/admin/sign-in-script', 200, await admin.get('/sign-in-script')],
      ['post', '/api/admin/sign-in-script/test-run', 200, await admin.post('/sign-in-script/test-run', { source, claims: { sn: ['Doe'] } })],
      ['post', '/api/admin/sign-in-script/test-run', 200, await admin.post('/sign-in-script/test-run', { source: 'version: 1\nactions:\n  - NoSuchAction: {}\n' })],
    ];
    expect(misfits(documentedAnswer, answers)).toEqual([]);
    expect((answers[1]![3] as { errors: unknown[] }).errors.length).toBeGreaterThan(0);
    expect((answers[4]![3] as { script: { source: string } | null }).script?.source).toBe(source);
    expect((answers[5]![3] as { trace: unknown[] }).trace.length).toBeGreaterThan(0);
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

describe('browser answers match the document', async () => {
  const browserDoc = await json(call('/api/openapi.json'));
  const documentedAnswer = answerIn(browserDoc);

  it("sign-in's steps, the signed-in user, the profile, its passkey options and the passwordless start parse by their documented schema", async () => {
    const user = await insertUser({ login: unique('doc-browser-') });
    const login = await call('/api/auth/login', { method: 'POST', json: { login: user.login, password: user.password } });
    const session = await signIn(user.login, user.password);
    const asUser = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      json(call(path, { ...init, headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken } }));
    const answers: Array<[string, string, number, unknown]> = [
      ['post', '/api/auth/login', 200, await json(login)],
      ['get', '/api/auth/me', 200, await asUser('/api/auth/me')],
      ['get', '/api/profile', 200, await asUser('/api/profile')],
      ['post', '/api/profile/passkeys/options', 200, await asUser('/api/profile/passkeys/options', { method: 'POST', json: {} })],
      ['post', '/api/auth/passkey/options', 200, await json(call('/api/auth/passkey/options', { method: 'POST', json: {} }))],
    ];
    expect(misfits(documentedAnswer, answers)).toEqual([]);
    // Not a vacuous pass: the answers are the user's.
    expect((answers[1]![3] as { user: { login: string } }).user.login).toBe(user.login);
    expect((answers[2]![3] as { user: { id: string } }).user.id).toBe(user.id);
    expect((answers[3]![3] as { options: { user: { name: string } } }).options.user.name).toBe(user.login);
  });

  it("the portal's passkey options are declared as what they are: creation options to make a passkey, request options to use one", async () => {
    const optionsOf = (path: string) => browserDoc.paths[`/api/portal/{alias}${path}`].post.responses[200].content['application/json'].schema.properties.options;
    expect(optionsOf('/tokens/passkey/options')).toEqual({ $ref: '#/components/schemas/PasskeyCreationOptions' });
    for (const path of ['/signin/passkey/options', '/step-up/passkey/options', '/tokens/passkey/existing/options']) {
      expect(optionsOf(path)).toEqual({ $ref: '#/components/schemas/PasskeyRequestOptions' });
    }
    // A user without a token may register a passkey at once: the real creation options parse by that declaration.
    const { admin, resource, alias } = await portalWith(['registerNewToken'], ['TOTP', 'PASSKEY']);
    const user = await assignedUser(admin, resource.id);
    const browser = portalClient(alias);
    expect((await browser.signIn(user.login, user.password)).body.state).toBe('signed_in');
    const options = await browser.send('POST', '/tokens/passkey/options', {});
    expect(options.status).toBe(200);
    expect(misfits(documentedAnswer, [['post', '/api/portal/{alias}/tokens/passkey/options', 200, options.body]])).toEqual([]);
    expect(options.body.options.user.name).toBe(user.login);
  });
});
