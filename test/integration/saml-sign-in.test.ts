/** SAML SP: configuration versions through the admin API, SP-initiated sign-in end to end, first sign-in registration, the hook. */
import { env } from 'cloudflare:workers';
import { inject, afterEach, describe, expect, it } from 'vitest';
import { setSignInHook, scriptSignInHook, type SignInHook } from '../../worker/saml/sign-in-hook';
import { adminClient, call, insertUser, json, unique } from '../helpers/worker';
import {
  ACS_URL,
  BINDING_COOKIE,
  CLAIMS,
  configureSaml,
  IDP_SSO_URL,
  postAcs,
  reasonOf,
  samlYaml,
  sessionCookieOf,
  signInWithSaml,
  SP_ENTITY_ID,
  startLogin,
} from '../setup/saml-test-support';

const samlStatus = async () => (await json(call('/api/auth/saml-status'))).available as boolean;

describe('SAML configuration (admin API)', () => {
  it('validates with line numbers, saves versions without changing sign-in, and applies atomically', async () => {
    const admin = await adminClient();
    const initial = await admin.get('/saml');
    expect(initial.yaml).toContain('version: "1.0"');
    expect(initial.schema.properties.config.required).toEqual(['entityId', 'singleSignOnServiceUrl', 'spEntityId', 'certificate', 'claimEmail']);
    expect(initial.docs['config.claimEmail'].description).toMatch(/NameID/);
    expect(initial.sp.acsUrl).toBe(ACS_URL);

    const broken = samlYaml().replace(`singleSignOnServiceUrl: ${IDP_SSO_URL}`, 'singleSignOnServiceUrl: http://idp.example.test/sso').replace('claimEmail:', 'claimMail:');
    const validation = await admin.post('/saml/validate', { yaml: broken });
    expect(validation.ok).toBe(false);
    const lines = broken.split('\n');
    const byPath = Object.fromEntries(validation.errors.map((e: any) => [e.path, e]));
    expect(byPath['config.singleSignOnServiceUrl'].line).toBe(lines.findIndex((l) => l.includes('singleSignOnServiceUrl')) + 1);
    expect(byPath['config.claimMail'].line).toBe(lines.findIndex((l) => l.includes('claimMail')) + 1);
    expect(byPath['config.claimMail'].message).toMatch(/Unknown key/);
    expect(byPath['config.claimEmail'].message).toMatch(/required/);

    const refused = await admin.request('/saml', { method: 'PUT', json: { yaml: broken, allowSignIn: true } });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error).toMatchObject({ code: 'SAML_CONFIG_INVALID', details: { errors: expect.any(Array) } });

    await admin.put('/saml', { yaml: samlYaml(), allowSignIn: true });
    let state = await admin.get('/saml');
    expect(state.saved.version).toBe(1);
    expect(state.applied).toBeNull();
    expect(state.differs).toBe(true);
    expect(await samlStatus()).toBe(false);
    expect((await call('/saml/login', { redirect: 'manual' })).status).toBe(409);

    state = await admin.post('/saml/apply', {});
    expect(state).toMatchObject({ applied: { version: 1, allowSignIn: true }, differs: false });
    expect(await samlStatus()).toBe(true);

    // Saving a version that forbids sign-in changes nothing until it is applied.
    await admin.put('/saml', { yaml: samlYaml(), allowSignIn: false });
    state = await admin.get('/saml');
    expect(state).toMatchObject({ saved: { version: 2, allowSignIn: false }, applied: { version: 1 }, differs: true });
    expect(await samlStatus()).toBe(true);
    await admin.post('/saml/apply', {});
    expect(await samlStatus()).toBe(false);
    await admin.post('/saml/apply', { version: 1 });
    expect(await samlStatus()).toBe(true);
    expect((await admin.request('/saml/apply', { method: 'POST', json: { version: 99 } })).status).toBe(404);
  });

  it('imports IdP metadata into the YAML', async () => {
    const admin = await adminClient();
    const certificate = inject('samlIdpCertificate');
    const metadata = `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.corp.example/metadata">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${inject('samlOtherCertificate')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
      ${certificate.match(/.{1,64}/g)!.join('\n      ')}
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.corp.example/sso/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.corp.example/sso/redirect"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
    const imported = await admin.post('/saml/import-metadata', { metadata, yaml: samlYaml() });
    expect(imported).toMatchObject({ entityId: 'https://idp.corp.example/metadata', singleSignOnServiceUrl: 'https://idp.corp.example/sso/redirect', binding: 'HTTP-Redirect', certificate });
    expect(imported.yaml).toContain('entityId: https://idp.corp.example/metadata');
    expect(imported.yaml).toContain(`spEntityId: ${SP_ENTITY_ID}`);
    expect((await admin.post('/saml/validate', { yaml: imported.yaml })).ok).toBe(true);

    const doctype = await admin.request('/saml/import-metadata', { method: 'POST', json: { metadata: `<!DOCTYPE x [<!ENTITY e "e">]>${metadata.replace('<?xml version="1.0"?>', '')}` } });
    expect((await json(doctype)).error.code).toBe('SAML_METADATA_INVALID');
  });
});

describe('SP-initiated SAML sign-in', () => {
  afterEach(() => {
    setSignInHook(scriptSignInHook);
  });

  it('sends an AuthnRequest by HTTP-Redirect and publishes SP metadata', async () => {
    await configureSaml();
    const login = await startLogin('/profile');
    expect(`${login.location.origin}${login.location.pathname}`).toBe(IDP_SSO_URL);
    expect(login.relayState).toBe('/profile');
    expect(login.authnRequest).toContain(`AssertionConsumerServiceURL="${ACS_URL}"`);
    expect(login.authnRequest).toContain(`Destination="${IDP_SSO_URL}"`);
    expect(login.authnRequest).toContain(`<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>`);
    expect(login.cookie.startsWith(`${BINDING_COOKIE}=`)).toBe(true);

    const metadata = await call('/saml/metadata');
    expect(metadata.headers.get('content-type')).toContain('application/samlmetadata+xml');
    const xml = await metadata.text();
    expect(xml).toContain(`entityID="${SP_ENTITY_ID}"`);
    expect(xml).toContain(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ACS_URL}"`);
    expect(xml).toContain('<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>');
  });

  it('registers the user at the first sign-in from the claims and finds the same user later', async () => {
    await configureSaml();
    const email = `${unique('anna')}@corp.example`;
    const attributes = { [CLAIMS.email]: [email], [CLAIMS.firstName]: ['Anna'], [CLAIMS.lastName]: ['Müller'], [CLAIMS.language]: ['de-DE'] };
    const first = await signInWithSaml({ email: 'anna-nameid', attributes }, '/profile');
    expect(first.response.status).toBe(303);
    expect(first.response.headers.get('location')).toBe('/welcome?lang=de&next=%2Fprofile');
    const cookie = sessionCookieOf(first.response)!;
    expect(cookie).toBeTruthy();
    const me = await json(call('/api/auth/me', { headers: { cookie } }));
    expect(me.user).toMatchObject({ login: email, email, firstName: 'Anna', lastName: 'Müller', language: 'de' });
    const session = await env.DB.prepare('SELECT method, kind FROM sessions WHERE user_id = ?').bind(me.user.id).first();
    expect(session).toEqual({ method: 'saml', kind: 'platform' });

    const second = await signInWithSaml({ attributes: { ...attributes, [CLAIMS.firstName]: ['Other'] } }, '/admin/users');
    expect(second.response.status).toBe(303);
    expect(second.response.headers.get('location')).toBe('/admin/users');
    const again = await json(call('/api/auth/me', { headers: { cookie: sessionCookieOf(second.response)! } }));
    expect(again.user.id).toBe(me.user.id);
    expect(again.user.firstName).toBe('Anna');
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE email = ?').bind(email).first<{ n: number }>();
    expect(count!.n).toBe(1);
    const logins = await env.DB.prepare("SELECT detail FROM user_activities WHERE user_id = ? AND type = 'UserLogin' AND channel = 'saml' ORDER BY at").bind(me.user.id).all<{ detail: string }>();
    expect(logins.results.map((row) => JSON.parse(row.detail).firstSignIn)).toEqual([true, false]);
  });

  it('identifies the user by the NameID when claimEmail is NameID, in the browser language without a language claim', async () => {
    await configureSaml({ claimEmail: 'NameID' });
    const email = `${unique('ben')}@corp.example`;
    const login = await startLogin();
    const { samlResponse } = await (await import('../setup/saml-test-support')).signResponse({ inResponseTo: login.requestId, email });
    const response = await postAcs(samlResponse, { cookie: login.cookie, ip: login.ip, acceptLanguage: 'fr;q=1, en;q=0.8, de;q=0.5' });
    expect(response.headers.get('location')).toBe('/welcome?lang=en');
    const me = await json(call('/api/auth/me', { headers: { cookie: sessionCookieOf(response)! } }));
    expect(me.user).toMatchObject({ login: email, email, language: 'en' });
  });

  it('runs the sign-in hook first: a denying hook blocks the sign-in and records the reason', async () => {
    await configureSaml();
    const email = `${unique('carl')}@corp.example`;
    const seen: Array<{ claims: Record<string, string[]>; userId: string; user: Record<string, unknown> }> = [];
    const deny: SignInHook = async (input) => {
      seen.push({ claims: input.claims, userId: input.userId, user: input.user });
      return { outcome: 'deny', reason: 'not in the allowed department' };
    };
    setSignInHook(deny);
    const { response } = await signInWithSaml({ attributes: { [CLAIMS.email]: [email], department: ['sales'] } });
    expect(response.status).toBe(400);
    expect(sessionCookieOf(response)).toBeNull();
    expect(await reasonOf(response)).toBe('sign_in_hook_denied');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.claims.department).toEqual(['sales']);
    expect(seen[0]!.user).toMatchObject({ id: seen[0]!.userId, email, login: email });
    // Nothing was written for the refused first sign-in: no user, no session.
    expect(await env.DB.prepare('SELECT 1 FROM users WHERE email = ?').bind(email).first()).toBeNull();
    const attempt = await env.DB.prepare("SELECT detail FROM user_activities WHERE type = 'UserLoginAttempt' AND login = ? AND channel = 'saml'").bind(email).first<{ detail: string }>();
    expect(JSON.parse(attempt!.detail)).toMatchObject({ reason: 'sign_in_hook_denied', hookReason: 'not in the allowed department' });
  });

  it("applies an allowing hook's statements in the batch that creates the session", async () => {
    await configureSaml();
    const user = await insertUser({ email: `${unique('dora')}@corp.example` });
    setSignInHook(async (input) => ({ outcome: 'allow', statements: [input.db.prepare('UPDATE users SET phone = ? WHERE id = ?').bind('+4930123456', input.userId)], note: 'phone from claims' }));
    const email = (await env.DB.prepare('SELECT email FROM users WHERE id = ?').bind(user.id).first<{ email: string }>())!.email;
    const { response } = await signInWithSaml({ attributes: { [CLAIMS.email]: [email] } });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    expect(await env.DB.prepare('SELECT phone FROM users WHERE id = ?').bind(user.id).first()).toEqual({ phone: '+4930123456' });

    // A hook statement that fails rolls the whole sign-in back: no session either.
    setSignInHook(async (input) => ({ outcome: 'allow', statements: [input.db.prepare('UPDATE no_such_table SET x = 1')] }));
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?').bind(user.id).first<{ n: number }>();
    const failed = await signInWithSaml({ attributes: { [CLAIMS.email]: [email] } });
    expect(failed.response.status).toBe(500);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?').bind(user.id).first()).toEqual(before);
  });

  it('refuses disabled users, and users whose email matches no single account (duplicates from before migration 0007)', async () => {
    await configureSaml();
    const disabled = await insertUser({ email: `${unique('eve')}@corp.example`, enabled: false });
    const disabledEmail = (await env.DB.prepare('SELECT email FROM users WHERE id = ?').bind(disabled.id).first<{ email: string }>())!.email;
    const refused = await signInWithSaml({ attributes: { [CLAIMS.email]: [disabledEmail] } });
    expect(refused.response.status).toBe(400);
    expect(await reasonOf(refused.response)).toBe('user_disabled');

    const shared = `${unique('team')}@corp.example`;
    await insertUser({ email: shared });
    await insertUser({ email: shared.toUpperCase() });
    const ambiguous = await signInWithSaml({ attributes: { [CLAIMS.email]: [shared] } });
    expect(ambiguous.response.status).toBe(400);
    expect(await reasonOf(ambiguous.response)).toBe('email_ambiguous');

    const missing = await signInWithSaml({ attributes: {} });
    expect(await reasonOf(missing.response)).toBe('email_claim_missing');
  });

  it('shows the error page in German when the browser asks for it', async () => {
    await configureSaml();
    const response = await postAcs('bm90IHhtbA==', { acceptLanguage: 'de-DE,de;q=0.9,en;q=0.8' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('Die Anmeldung mit SAML ist fehlgeschlagen');
  });
});
