/**
 * Threat: an attacker posts SAML responses to the ACS to sign in as someone else, or to sign a victim's browser
 * in as the attacker. Every response here is freshly signed by xmlsec1 (an independent signer) with the IdP key
 * the SP trusts, unless the attack is about the signature; each test changes exactly one thing and shows the
 * sign-in refused with its reason and without a session (the control: the same response unchanged signs in).
 * The browser sees one generic page and status for every refusal; the reason is read from the activity log under
 * the page's reference (reasonOf), and reasonOf fails if the page itself names it.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAML_MAX_FORM_BODY_BYTES } from '../../worker/constants';
import { call, insertUser, unique } from '../helpers/worker';
import {
  ACS_URL,
  CLAIMS,
  configureSaml,
  postAcs,
  reasonOf,
  errorKindOf,
  sessionCookieOf,
  signInWithSaml,
  signResponse,
  startLogin,
  freshIp,
} from '../setup/saml-test-support';

async function expectRefused(response: Response, reason: string, status = 400) {
  expect(sessionCookieOf(response)).toBeNull();
  expect(response.status).toBe(status);
  expect(await reasonOf(response)).toBe(reason);
}

const email = () => `${unique('u')}@corp.example`;

describe('ACS attacks', () => {
  beforeAll(async () => {
    await configureSaml();
  });

  it('control: an unchanged fresh response signs in (assertion or both signed; response only when configured)', async () => {
    for (const sign of ['assertion', 'both'] as const) {
      const { response } = await signInWithSaml({ sign, attributes: { [CLAIMS.email]: [email()] } });
      expect(response.status, sign).toBe(303);
      expect(sessionCookieOf(response), sign).toBeTruthy();
    }
    await configureSaml({ allowResponseOnlySignatures: true });
    try {
      const { response } = await signInWithSaml({ sign: 'response', attributes: { [CLAIMS.email]: [email()] } });
      expect(response.status).toBe(303);
      expect(sessionCookieOf(response)).toBeTruthy();
    } finally {
      await configureSaml();
    }
  });

  it('replay: the same response is accepted once', async () => {
    const first = await signInWithSaml({ attributes: { [CLAIMS.email]: [email()] } });
    expect(first.response.status).toBe(303);
    const replay = await postAcs(first.samlResponse, { cookie: first.login.cookie, ip: first.login.ip });
    await expectRefused(replay, 'replayed');
  });

  it('replay race: two concurrent posts of one response, exactly one signs in', async () => {
    await configureSaml({ allowIdpInitiated: true });
    try {
      const { samlResponse } = await signResponse({ attributes: { [CLAIMS.email]: [email()] } });
      const results = await Promise.all([postAcs(samlResponse), postAcs(samlResponse), postAcs(samlResponse)]);
      expect(results.filter((r) => r.status === 303)).toHaveLength(1);
      for (const refused of results.filter((r) => r.status !== 303)) expect(await reasonOf(refused)).toBe('replayed');
    } finally {
      await configureSaml();
    }
  });

  it('wrong audience', async () => {
    const { response } = await signInWithSaml({ audience: 'https://other-sp.example/metadata', attributes: { [CLAIMS.email]: [email()] } });
    await expectRefused(response, 'audience_mismatch');
  });

  it('wrong recipient, and wrong destination', async () => {
    const recipient = await signInWithSaml({ acs: 'https://other-sp.example/saml/acs', destination: ACS_URL, attributes: { [CLAIMS.email]: [email()] } });
    await expectRefused(recipient.response, 'recipient_mismatch');
    const destination = await signInWithSaml({ destination: 'https://other-sp.example/saml/acs', attributes: { [CLAIMS.email]: [email()] } });
    await expectRefused(destination.response, 'destination_mismatch');
  });

  it('expired and not yet valid (beyond the clock skew)', async () => {
    const expired = await signInWithSaml({ validitySeconds: -120, skewStartSeconds: -600, attributes: { [CLAIMS.email]: [email()] } });
    await expectRefused(expired.response, 'expired');
    const early = await signInWithSaml({ skewStartSeconds: 600, validitySeconds: 900, attributes: { [CLAIMS.email]: [email()] } });
    await expectRefused(early.response, 'not_yet_valid');
  });

  it('unsolicited (IdP-initiated) responses are refused unless configured', async () => {
    const address = email();
    const { samlResponse } = await signResponse({ attributes: { [CLAIMS.email]: [address] } });
    await expectRefused(await postAcs(samlResponse), 'unsolicited');
    await configureSaml({ allowIdpInitiated: true });
    try {
      const accepted = await postAcs(samlResponse, { relayState: '/profile' });
      expect(accepted.status).toBe(303);
      expect(accepted.headers.get('location')).toBe('/welcome?lang=en&next=%2Fprofile');
    } finally {
      await configureSaml();
    }
  });

  it('wrong InResponseTo, and a response for a request started in another browser (login CSRF)', async () => {
    const login = await startLogin();
    const { samlResponse } = await signResponse({ inResponseTo: '_not_a_request_we_sent', attributes: { [CLAIMS.email]: [email()] } });
    await expectRefused(await postAcs(samlResponse, { cookie: login.cookie, ip: login.ip }), 'in_response_to_unknown');

    // The attacker starts a sign-in, gets a response for their own account and makes the victim's browser post it.
    const attackers = await startLogin();
    const forVictimBrowser = await signResponse({ inResponseTo: attackers.requestId, attributes: { [CLAIMS.email]: [email()] } });
    const victim = await startLogin();
    await expectRefused(await postAcs(forVictimBrowser.samlResponse, { cookie: victim.cookie }), 'request_not_from_this_browser');
    await expectRefused(await postAcs(forVictimBrowser.samlResponse), 'request_not_from_this_browser');
    // The request is still usable by the browser that started it.
    expect((await postAcs(forVictimBrowser.samlResponse, { cookie: attackers.cookie })).status).toBe(303);
  });

  it('an InResponseTo is consumed once: a second response to the same request is refused', async () => {
    const login = await startLogin();
    const address = email();
    const one = await signResponse({ inResponseTo: login.requestId, attributes: { [CLAIMS.email]: [address] } });
    const two = await signResponse({ inResponseTo: login.requestId, attributes: { [CLAIMS.email]: [address] } });
    expect((await postAcs(one.samlResponse, { cookie: login.cookie })).status).toBe(303);
    await expectRefused(await postAcs(two.samlResponse, { cookie: login.cookie }), 'in_response_to_unknown');
  });

  it('DOCTYPE and entity expansion are refused before parsing', async () => {
    const login = await startLogin();
    const { xml } = await signResponse({ inResponseTo: login.requestId, attributes: { [CLAIMS.email]: [email()] } });
    const lol = `<!DOCTYPE samlp:Response [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>`;
    const withDoctype = `<?xml version="1.0"?>${lol}${xml}`;
    await expectRefused(await postAcs(btoa(withDoctype), { cookie: login.cookie }), 'doctype_refused');
    const external = `<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${xml.replace('</saml:Issuer>', '&xxe;</saml:Issuer>')}`;
    await expectRefused(await postAcs(btoa(external), { cookie: login.cookie }), 'doctype_refused');
  });

  it('a processing instruction inside the signed NameID is refused (it would hide part of the identity)', async () => {
    const victim = `${unique('victim')}@corp.example`;
    await insertUser({ email: victim });
    await configureSaml({ claimEmail: 'NameID' });
    try {
      // The IdP signed "<victim>.attacker.example" with a PI in the middle; canonicalization may drop the PI.
      const { response } = await signInWithSaml({ nameIdXml: `${victim}<?hide ?>.attacker.example` });
      await expectRefused(response, 'processing_instruction_refused');
    } finally {
      await configureSaml();
    }
  });

  it('a comment inserted into the NameID after signing never yields the truncated identity (CVE-2018-7340)', async () => {
    const victim = `${unique('victim')}@corp.example`;
    const victimUser = await insertUser({ email: victim });
    await configureSaml({ claimEmail: 'NameID' });
    try {
      // The attacker legitimately owns "<victim>.attacker.example" and splits it with a comment after signing.
      const login = await startLogin();
      const owned = `${victim}.attacker.example`;
      const { samlResponse } = await signResponse({ inResponseTo: login.requestId, email: owned, afterSign: [[`>${owned}<`, `>${victim}<!---->.attacker.example<`]] });
      const response = await postAcs(samlResponse, { cookie: login.cookie });
      // The signature still verifies (comments are not signed content) and the identity is the signed one.
      expect(response.status).toBe(303);
      const session = await env.DB.prepare('SELECT u.email FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.created_at >= ? AND u.email = ?').bind(Date.now() - 60_000, owned).first();
      expect(session).toEqual({ email: owned });
      expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?').bind(victimUser.id).first()).toEqual({ n: 0 });
    } finally {
      await configureSaml();
    }
  });

  it('content changed after signing (the NameID, an attribute) breaks the signature', async () => {
    const address = email();
    const victim = email();
    const login = await startLogin();
    const tampered = await signResponse({ inResponseTo: login.requestId, attributes: { [CLAIMS.email]: [address] }, afterSign: [[address, victim]] });
    await expectRefused(await postAcs(tampered.samlResponse, { cookie: login.cookie }), 'signature_invalid');
  });

  it('a certificate carried in the message is ignored: a response signed by another key is refused', async () => {
    const { response } = await signInWithSaml({ useOtherKey: true, attributes: { [CLAIMS.email]: [email()] } });
    await expectRefused(response, 'signature_invalid');
  });

  it('unsigned responses, a wrong issuer and non-bearer confirmations are refused', async () => {
    await expectRefused((await signInWithSaml({ sign: 'none', attributes: { [CLAIMS.email]: [email()] } })).response, 'signature_missing');
    await expectRefused((await signInWithSaml({ issuer: 'https://evil-idp.example', attributes: { [CLAIMS.email]: [email()] } })).response, 'issuer_mismatch');
    const holderOfKey = await signInWithSaml({ subjectConfirmationMethod: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key', attributes: { [CLAIMS.email]: [email()] } });
    await expectRefused(holderOfKey.response, 'no_bearer_confirmation');
  });

  it('signature wrapping with a fresh response: an unsigned evil assertion next to the signed one is refused', async () => {
    const login = await startLogin();
    const address = email();
    const { xml } = await signResponse({ inResponseTo: login.requestId, attributes: { [CLAIMS.email]: [address] } });
    const signedAssertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
    const evil = signedAssertion.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '').replaceAll(address, 'admin@corp.example').replace(/ID="[^"]+"/, 'ID="_evil"');
    await expectRefused(await postAcs(btoa(xml.replace(signedAssertion, evil + signedAssertion)), { cookie: login.cookie }), 'assertion_count');
    // Evil assertion in the Response's Extensions, the signed one moved inside it (XSW-style).
    const wrapped = xml.replace(signedAssertion, `<samlp:Extensions>${signedAssertion}</samlp:Extensions>${evil}`);
    const verdict = await postAcs(btoa(wrapped), { cookie: login.cookie });
    expect(sessionCookieOf(verdict)).toBeNull();
    expect(['assertion_count', 'signature_missing', 'signature_invalid']).toContain(await reasonOf(verdict));
  });

  it('a second element claiming the signed ID (under ID, Id or id, prefixed or not) is refused', async () => {
    for (const claim of ['ID', 'Id', 'id', 'x:ID', 'x:Id']) {
      const login = await startLogin();
      const { xml } = await signResponse({ inResponseTo: login.requestId, attributes: { [CLAIMS.email]: [email()] } });
      const assertionId = /<saml:Assertion[^>]* ID="([^"]+)"/.exec(xml)![1];
      // The response itself is unsigned here, so an Extensions element may be added without breaking a signature.
      const lookAlike = xml.replace(/(<samlp:Response[^>]*>)/, `$1<samlp:Extensions><x:Decoy xmlns:x="urn:decoy" ${claim}="${assertionId}"/></samlp:Extensions>`);
      expect(lookAlike).not.toBe(xml);
      await expectRefused(await postAcs(btoa(lookAlike), { cookie: login.cookie }), 'signature_invalid');
    }
  });

  it('oversized bodies are refused before parsing', async () => {
    const body = `SAMLResponse=${'A'.repeat(SAML_MAX_FORM_BODY_BYTES + 10)}`;
    const response = await postAcs(null, { body });
    expect(response.status).toBe(413);
    expect(sessionCookieOf(response)).toBeNull();
  });

  it('RelayState pointing to another origin is refused at /saml/login and ignored at the ACS', async () => {
    for (const target of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/ok\r\nSet-Cookie: x=y']) {
      const response = await call(`/saml/login?RelayState=${encodeURIComponent(target)}`, { headers: { 'cf-connecting-ip': freshIp() }, redirect: 'manual' });
      expect(response.status, target).toBe(400);
      expect(await errorKindOf(response)).toBe('return_path');
    }
    await configureSaml({ allowIdpInitiated: true });
    try {
      for (const target of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
        const { samlResponse } = await signResponse({ attributes: { [CLAIMS.email]: [email()] } });
        const response = await postAcs(samlResponse, { relayState: target });
        expect(response.status).toBe(303);
        expect(response.headers.get('location'), target).toBe('/welcome?lang=en');
      }
    } finally {
      await configureSaml();
    }
  });

  it('every refusal is logged as a UserLoginAttempt with its reason', async () => {
    const { response } = await signInWithSaml({ audience: 'https://other-sp.example/metadata', email: 'logged-nameid@corp.example', attributes: { [CLAIMS.email]: [email()] } });
    expect(response.status).toBe(400);
    const row = await env.DB.prepare("SELECT detail, channel FROM user_activities WHERE type = 'UserLoginAttempt' AND login = 'logged-nameid@corp.example'").first<{ detail: string; channel: string }>();
    expect(row!.channel).toBe('saml');
    expect(JSON.parse(row!.detail).reason).toBe('audience_mismatch');
  });
});
