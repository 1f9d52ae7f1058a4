/**
 * Threat: responses that prove less than a sign-in needs, or that attack the parser or the error page.
 * Seen before: a response without an AuthnStatement signed in; RSA-SHA1 was accepted; a Response-only signature
 * was accepted while the metadata said WantAssertionsSigned="true"; about 8,000 nested elements gave a 500 (stack
 * overflow) before the signature check; the error page told the sender the exact reason (an oracle while crafting).
 * Every response is freshly signed by xmlsec1 with the trusted IdP key; each test opens with the attack.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAML_MAX_XML_DEPTH } from '../../worker/constants';
import { validateConfigYaml } from '../../worker/saml/config';
import { call, json, unique } from '../helpers/worker';
import { CLAIMS, configureSaml, postAcs, reasonOf, referenceOf, samlYaml, sessionCookieOf, signInWithSaml, signResponse, startLogin } from '../setup/saml-test-support';

const email = () => `${unique('u')}@corp.example`;

async function expectRefused(response: Response, reason: string) {
  expect(sessionCookieOf(response)).toBeNull();
  expect(response.status).toBe(400);
  expect(await reasonOf(response)).toBe(reason);
}

/** A signed response with `levels` nested elements in an (unsigned) Extensions of the Response. */
async function nestedResponse(levels: number) {
  const login = await startLogin();
  const { xml } = await signResponse({ inResponseTo: login.requestId, attributes: { [CLAIMS.email]: [email()] } });
  const nested = `${'<n>'.repeat(levels)}${'</n>'.repeat(levels)}`;
  const tampered = xml.replace(/(<samlp:Response[^>]*>)/, `$1<samlp:Extensions>${nested}</samlp:Extensions>`);
  return { login, samlResponse: btoa(tampered) };
}

describe('strict SAML responses', () => {
  beforeAll(async () => {
    await configureSaml();
  });

  it('a signed assertion without an AuthnStatement does not sign in', async () => {
    // The attack: an assertion issued for another purpose (an attribute query answer) says who someone is, not
    // that they just authenticated; replayed to the ACS it opened a session.
    const { response } = await signInWithSaml({ authnStatement: false, attributes: { [CLAIMS.email]: [email()] } });
    await expectRefused(response, 'authn_statement_missing');
  });

  it('RSA-SHA1 signatures and SHA-1 digests are refused unless the configuration allows them', async () => {
    // The attack: SHA-1 chosen-prefix collisions; a forged response that collides with one the IdP signed.
    await expectRefused((await signInWithSaml({ signatureAlgorithm: 'rsa-sha1', digestAlgorithm: 'sha1', attributes: { [CLAIMS.email]: [email()] } })).response, 'sha1_refused');
    await expectRefused((await signInWithSaml({ signatureAlgorithm: 'rsa-sha256', digestAlgorithm: 'sha1', attributes: { [CLAIMS.email]: [email()] } })).response, 'sha1_refused');
    await expectRefused((await signInWithSaml({ signatureAlgorithm: 'rsa-sha1', digestAlgorithm: 'sha256', attributes: { [CLAIMS.email]: [email()] } })).response, 'sha1_refused');
    await configureSaml({ allowSha1Signatures: true });
    try {
      const allowed = await signInWithSaml({ signatureAlgorithm: 'rsa-sha1', digestAlgorithm: 'sha1', attributes: { [CLAIMS.email]: [email()] } });
      expect(allowed.response.status).toBe(303);
      // Allowing SHA-1 does not make a broken SHA-1 signature pass.
      const address = email();
      const tampered = await signInWithSaml({ signatureAlgorithm: 'rsa-sha1', digestAlgorithm: 'sha1', attributes: { [CLAIMS.email]: [address] }, afterSign: [[address, email()]] });
      await expectRefused(tampered.response, 'signature_invalid');
    } finally {
      await configureSaml();
    }
  });

  it('a Response-only signature is refused while the metadata says WantAssertionsSigned="true", and both change together', async () => {
    // The attack: the assertion inside a signed Response is unsigned on its own; the SP promised IdPs it would not
    // accept that, and accepted it anyway.
    expect(await (await call('/saml/metadata')).text()).toContain('WantAssertionsSigned="true"');
    await expectRefused((await signInWithSaml({ sign: 'response', attributes: { [CLAIMS.email]: [email()] } })).response, 'assertion_not_signed');
    await configureSaml({ allowResponseOnlySignatures: true });
    try {
      expect(await (await call('/saml/metadata')).text()).toContain('WantAssertionsSigned="false"');
      expect((await signInWithSaml({ sign: 'response', attributes: { [CLAIMS.email]: [email()] } })).response.status).toBe(303);
      await expectRefused((await signInWithSaml({ sign: 'none', attributes: { [CLAIMS.email]: [email()] } })).response, 'signature_missing');
    } finally {
      await configureSaml();
    }
  });

  it('8,000 nested elements are a 400 before any parser recurses, never a 500', async () => {
    // The attack: deep nesting overflows the stack of the recursive XML code (DOM walks, canonicalization) and
    // turns each post into a crash before the signature is even checked.
    const deep = await nestedResponse(8000);
    await expectRefused(await postAcs(deep.samlResponse, { cookie: deep.login.cookie }), 'too_deep');
    // At the limit the same response signs in (the Response is unsigned here, so Extensions break no signature);
    // one level more is refused. The Response and its Extensions are two of the levels.
    const atLimit = await nestedResponse(SAML_MAX_XML_DEPTH - 2);
    expect((await postAcs(atLimit.samlResponse, { cookie: atLimit.login.cookie })).status).toBe(303);
    const pastLimit = await nestedResponse(SAML_MAX_XML_DEPTH - 1);
    await expectRefused(await postAcs(pastLimit.samlResponse, { cookie: pastLimit.login.cookie }), 'too_deep');
  });

  it('deeply nested IdP metadata is refused with a typed 400', async () => {
    const admin = await (await import('../helpers/worker')).adminClient();
    const nested = `${'<md:Extensions>'.repeat(8000)}${'</md:Extensions>'.repeat(8000)}`;
    const metadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.deep.example">${nested}</md:EntityDescriptor>`;
    const response = await admin.request('/saml/import-metadata', { method: 'POST', json: { metadata } });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('SAML_XML_TOO_DEEP');
  });

  it('the sender sees one generic page and status whatever failed; the reason is in the activity log under its reference', async () => {
    // The attack: crafting a forgery against an oracle, each post telling which check failed (signature, audience,
    // replay...). Now every refusal reads the same apart from its random reference.
    const badSignature = await signInWithSaml({ useOtherKey: true, attributes: { [CLAIMS.email]: [email()] } });
    const badAudience = await signInWithSaml({ audience: 'https://other-sp.example/metadata', attributes: { [CLAIMS.email]: [email()] } });
    const garbage = await postAcs('bm90IHhtbA==');
    const pages = await Promise.all([badSignature.response, badAudience.response, garbage].map(async (response) => ({ status: response.status, html: await response.text() })));
    const references = pages.map((page) => referenceOf(page.html));
    expect(new Set(references).size).toBe(3);
    const withoutReference = pages.map((page) => `${page.status} ${page.html.replace(referenceOf(page.html)!, 'REF')}`);
    expect(new Set(withoutReference).size).toBe(1);
    for (const page of pages) expect(page.html).not.toMatch(/signature|audience|malformed/i);

    const logged = await Promise.all(
      references.map(async (reference) => {
        const row = await env.DB.prepare("SELECT detail FROM user_activities WHERE type = 'UserLoginAttempt' AND channel = 'saml' AND json_extract(detail, '$.reference') = ?").bind(reference).first<{ detail: string }>();
        return JSON.parse(row!.detail).reason;
      }),
    );
    expect(logged).toEqual(['signature_invalid', 'audience_mismatch', 'malformed']);
  });

  it('the relaxations are warnings in the editor, at their lines, and never block saving', () => {
    const yaml = samlYaml({ allowSha1Signatures: true, allowResponseOnlySignatures: true });
    const result = validateConfigYaml(yaml);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const lineOf = (key: string) => yaml.split('\n').findIndex((line) => line.includes(key)) + 1;
    expect(result.warnings.map((w) => [w.path, w.line])).toEqual([
      ['config.allowSha1Signatures', lineOf('allowSha1Signatures')],
      ['config.allowResponseOnlySignatures', lineOf('allowResponseOnlySignatures')],
    ]);
    expect(result.warnings[0]!.message).toMatch(/SHA-1/);
    const strict = validateConfigYaml(samlYaml());
    expect(strict.ok && strict.warnings).toEqual([]);
  });
});
