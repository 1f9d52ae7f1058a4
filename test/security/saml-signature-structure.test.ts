/**
 * Threat: a response whose signature makes the verifier digest one thing and read another. The verifier checks
 * each signature on the one DOM it parsed (worker/saml/xml-signature.ts): it reads the SignedInfo, the digest and
 * the identity from that DOM, skips the enveloped signature while canonicalizing, and declares InclusiveNamespaces
 * prefixes on the signed element only for the call. Each test opens with the attack a mistake in one of those
 * steps would let through, and shows it refused; the controls show the legitimate shape accepted. Every response
 * is freshly signed by xmlsec1 (an independent signer) with the key of the configured certificate.
 */
import { createHash } from 'node:crypto';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { describe, expect, inject, it } from 'vitest';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { pemOf } from '../../worker/saml/certificate';
import { NS, verifyResponseXml, type ResponseVerdict } from '../../worker/saml/verify-response';
import { countIds, verifyEnvelopedSignature } from '../../worker/saml/xml-signature';
import { ACS_URL, IDP_ENTITY_ID, SP_ENTITY_ID, signResponse } from '../setup/saml-test-support';

const EMAIL = 'ada@corp.example';
const EXCLUSIVE = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const INCLUSIVE = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';

function verify(xml: string): ResponseVerdict {
  return verifyResponseXml(xml, { config: { entityId: IDP_ENTITY_ID, spEntityId: SP_ENTITY_ID, certificate: inject('samlIdpCertificate') }, acsUrl: ACS_URL, nowMs: Date.now() });
}

const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');
const assertionOf = (xml: string) => parse(xml).getElementsByTagNameNS(NS.assertion, 'Assertion').item(0)!;
const digestValueOf = (xml: string) => /<ds:DigestValue>([^<]+)<\/ds:DigestValue>/.exec(xml)![1]!;

/** What an attacker computes for an assertion changed after signing: its exclusive C14N digest without the signature. */
function digestOfAssertion(xml: string): string {
  const assertion = assertionOf(xml).cloneNode(true) as Element;
  const signature = assertion.getElementsByTagNameNS(NS.dsig, 'Signature').item(0)!;
  assertion.removeChild(signature);
  const canonical = new ExclusiveCanonicalization().process(assertion as never, {});
  return createHash('sha256').update(canonical, 'utf8').digest('base64');
}

describe('SAML signature structure', () => {
  it('a digest replaced after signing is refused whichever side of a comment the original is kept on (CVE-2025-29775 shape)', async () => {
    // The attack: the attacker changes the NameID, computes the digest of the changed assertion and writes it into
    // DigestValue, keeping the original beside it in a comment. A verifier that checks the signature over one
    // reading of the SignedInfo and the digest from another accepts the changed assertion.
    const { xml } = await signResponse({ email: EMAIL });
    const original = digestValueOf(xml);
    const changed = xml.replace(`>${EMAIL}<`, '>admin@corp.example<');
    const forged = digestOfAssertion(changed);
    expect(forged).not.toBe(original);
    for (const digestValue of [`${forged}<!--${original}-->`, `<!--${original}-->${forged}`, `${original}<!--${forged}-->`, `<!--${forged}-->${original}`]) {
      const attempt = changed.replace(`<ds:DigestValue>${original}</ds:DigestValue>`, `<ds:DigestValue>${digestValue}</ds:DigestValue>`);
      expect(verify(attempt), digestValue).toMatchObject({ ok: false, reason: 'signature_invalid' });
    }
    // Control: comments are not signed content, so one splitting the unchanged digest changes nothing.
    const split = xml.replace(`<ds:DigestValue>${original}</ds:DigestValue>`, `<ds:DigestValue>${original.slice(0, 10)}<!-- -->${original.slice(10)}</ds:DigestValue>`);
    expect(verify(split)).toMatchObject({ ok: true, assertion: { nameId: EMAIL } });
  });

  it('a second SignedInfo, SignatureValue or Reference is refused, also in another namespace', async () => {
    // The attack (CVE-2025-29774 family): two SignedInfo (or two values) give a verifier one to check and another to
    // use. They are counted by local name in any namespace, so a look-alike is a second one, never an ignored one.
    const { xml } = await signResponse({ email: EMAIL });
    expect(verify(xml)).toMatchObject({ ok: true });
    const signedInfo = /<ds:SignedInfo>[\s\S]*?<\/ds:SignedInfo>/.exec(xml)![0];
    const reference = /<ds:Reference [\s\S]*?<\/ds:Reference>/.exec(xml)![0];
    const attempts = [
      xml.replace('</ds:SignedInfo>', `</ds:SignedInfo>${signedInfo}`),
      xml.replace('</ds:SignedInfo>', `</ds:SignedInfo>${signedInfo.replaceAll('ds:', 'x:').replace('<x:SignedInfo>', '<x:SignedInfo xmlns:x="urn:look-alike">')}`),
      xml.replace('</ds:SignatureValue>', '</ds:SignatureValue><x:SignatureValue xmlns:x="urn:look-alike">AAAA</x:SignatureValue>'),
      xml.replace('</ds:Reference>', `</ds:Reference>${reference.replace('<ds:Reference ', '<x:Reference xmlns:x="urn:look-alike" ').replace('</ds:Reference>', '</x:Reference>')}`),
    ];
    for (const attempt of attempts) {
      expect(attempt).not.toBe(xml);
      expect(verify(attempt)).toMatchObject({ ok: false, reason: 'signature_invalid' });
    }
  });

  it("in a response signed twice, the Response's digest covers the assertion's Signature: only the signature being verified is left out", async () => {
    // The attack: a verifier that leaves every Signature element out of the digested content lets anything be
    // placed inside one (or changed inside the assertion's) under a valid Response signature.
    const { xml } = await signResponse({ email: EMAIL, sign: 'both' });
    expect(verify(xml)).toMatchObject({ ok: true, assertion: { signed: 'both' } });
    // The assertion's certificate is covered by the Response signature only (the assertion's signature does not sign its KeyInfo).
    const certificates = [...xml.matchAll(/<ds:X509Certificate>([^<]+)</g)].map((m) => m[1]!);
    expect(certificates).toHaveLength(2);
    const assertionStart = xml.indexOf('<saml:Assertion');
    const at = xml.indexOf(certificates[1]!, assertionStart);
    const changed = `${xml.slice(0, at)}${certificates[1]!.replace(/^MII/, 'MIJ')}${xml.slice(at + certificates[1]!.length)}`;
    expect(verify(changed)).toMatchObject({ ok: false, reason: 'signature_invalid', detail: 'response signature' });
  });

  it('InclusiveNamespaces: a listed prefix declared on an ancestor is signed content, and verifying leaves the document as it was', async () => {
    // The attack: the namespace of a listed prefix (here the one xsi:type="xs:string" names) changed on the Response
    // after signing. Exclusive C14N with a PrefixList renders it on the signed element, so the digest covers it.
    const { xml } = await signResponse({
      email: EMAIL,
      attributes: { role: ['staff'] },
      beforeSign: [
        ['xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi', 'xmlns:xsi'],
        ['xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="', 'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="'],
        [`<ds:Transform Algorithm="${EXCLUSIVE}"/>`, `<ds:Transform Algorithm="${EXCLUSIVE}"><ec:InclusiveNamespaces xmlns:ec="${EXCLUSIVE}" PrefixList="xs"/></ds:Transform>`],
      ],
    });
    expect(xml).toContain('PrefixList="xs"');
    expect(verify(xml)).toMatchObject({ ok: true, assertion: { attributes: { role: ['staff'] } } });
    expect(verify(xml.replace('xmlns:xs="http://www.w3.org/2001/XMLSchema"', 'xmlns:xs="urn:not-xml-schema"'))).toMatchObject({ ok: false, reason: 'signature_invalid' });

    // The declaration is added to the signed element only while it is canonicalized.
    const doc = parse(xml);
    const before = doc.toString();
    const assertion = doc.getElementsByTagNameNS(NS.assertion, 'Assertion').item(0)!;
    const signature = assertion.getElementsByTagNameNS(NS.dsig, 'Signature').item(0)!;
    expect(verifyEnvelopedSignature(assertion, signature, pemOf(inject('samlIdpCertificate')), false, countIds(doc))).toMatchObject({ ok: true });
    expect(assertion.hasAttribute('xmlns:xs')).toBe(false);
    expect(doc.toString()).toBe(before);
  });

  it('inclusive C14N signs every namespace in scope: a declaration added to the Response breaks it, and not an exclusive signature', async () => {
    // The attack: content a verifier does not canonicalize the way the signer did. With inclusive C14N (for the
    // SignedInfo, and implied for the assertion when the enveloped transform is the only one) the declarations in
    // scope from the Response are signed content; with exclusive C14N an unused one is not.
    const addDeclaration = (xml: string) => xml.replace('<samlp:Response ', '<samlp:Response xmlns:extra="urn:added-after-signing" ');
    for (const sign of ['assertion', 'both'] as const) {
      const inclusive = await signResponse({
        email: EMAIL,
        sign,
        beforeSign: [
          [`<ds:CanonicalizationMethod Algorithm="${EXCLUSIVE}"/>`, `<ds:CanonicalizationMethod Algorithm="${INCLUSIVE}"/>`],
          [`<ds:Transform Algorithm="${EXCLUSIVE}"/>`, ''],
        ],
      });
      expect(inclusive.xml).toContain(`<ds:CanonicalizationMethod Algorithm="${INCLUSIVE}"/>`);
      expect(verify(inclusive.xml), sign).toMatchObject({ ok: true, assertion: { nameId: EMAIL } });
      expect(verify(addDeclaration(inclusive.xml)), sign).toMatchObject({ ok: false, reason: 'signature_invalid' });
    }
    const exclusive = await signResponse({ email: EMAIL });
    expect(verify(addDeclaration(exclusive.xml))).toMatchObject({ ok: true, assertion: { nameId: EMAIL } });
  });

  it('the identity is read as the canonical form has it: CDATA and character references are the same text, never different text', async () => {
    // The attack (CVE-2018-7340 family): a NameID that reads differently from what was signed. The DOM text and
    // the canonical form agree on CDATA and character references, so rewriting them after signing is harmless.
    const cdata = await signResponse({ nameIdXml: `<![CDATA[${EMAIL}]]>` });
    expect(verify(cdata.xml)).toMatchObject({ ok: true, assertion: { nameId: EMAIL } });
    const plain = await signResponse({ email: EMAIL });
    for (const rewritten of [`<![CDATA[${EMAIL}]]>`, `&#x61;${EMAIL.slice(1)}`, `ada<![CDATA[@corp]]>.example`]) {
      expect(verify(plain.xml.replace(`>${EMAIL}<`, `>${rewritten}<`)), rewritten).toMatchObject({ ok: true, assertion: { nameId: EMAIL } });
    }
    expect(verify(plain.xml.replace(`>${EMAIL}<`, `><![CDATA[${EMAIL}.evil]]><`))).toMatchObject({ ok: false, reason: 'signature_invalid' });
  });
});
