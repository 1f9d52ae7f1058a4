/**
 * A vitest globalSetup (Node, before the workerd test workers): an independent IdP signer. Workers tests cannot
 * spawn processes, so this loopback server signs fresh SAML responses with Debian's xmlsec1 on demand, the way
 * the shared tool `saml-sign-response.sh` does (enveloped signature, exclusive C14N, RSA-SHA256, SHA-256 digest,
 * X509Certificate in KeyInfo; Assertion and/or Response signed; RSA-SHA1 and SHA-1 digests on request), so InResponseTo can name a request the Worker
 * just issued.
 *
 *   POST /sign  SignSpec (JSON)  ->  { samlResponse: base64, xml }
 *
 * Tests read `inject('samlSignerUrl')` and `inject('samlIdpCertificate')` (Base64 DER of the IdP certificate).
 * Another key pair's certificate, `inject('samlOtherCertificate')`, signs nothing we trust.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);

declare module 'vitest' {
  export interface ProvidedContext {
    samlSignerUrl: string;
    samlIdpCertificate: string;
    samlOtherCertificate: string;
  }
}

export interface SignSpec {
  audience: string;
  /** Recipient (SubjectConfirmationData) and, unless `destination` is given, the Response Destination. */
  acs: string;
  destination?: string | null;
  /** NameID text (escaped); `nameIdXml` instead inserts raw XML (comments, processing instructions...). */
  email?: string;
  nameIdXml?: string;
  attributes?: Record<string, string[]>;
  issuer?: string;
  inResponseTo?: string;
  /** NotOnOrAfter = now + validitySeconds (default 300); negative: already expired. */
  validitySeconds?: number;
  /** NotBefore = now + skewStartSeconds (default -5); positive: not yet valid. */
  skewStartSeconds?: number;
  sign?: 'assertion' | 'response' | 'both' | 'none';
  /** Sign with the other key (a certificate the SP does not trust). */
  useOtherKey?: boolean;
  subjectConfirmationMethod?: string;
  /** Signature and digest algorithms (default RSA-SHA256 / SHA-256): SHA-1 for the weak-algorithm attacks. */
  signatureAlgorithm?: 'rsa-sha256' | 'rsa-sha1';
  digestAlgorithm?: 'sha256' | 'sha1';
  /** false: the assertion carries no AuthnStatement (an attribute assertion, not a sign-in). */
  authnStatement?: boolean;
  /** Exact-text replacements on the template before signing, and on the signed XML afterwards (tampering). */
  beforeSign?: Array<[string, string]>;
  afterSign?: Array<[string, string]>;
}

export default async function setup(project: TestProject) {
  const signer = await startSamlSigner();
  project.provide('samlSignerUrl', signer.url);
  project.provide('samlIdpCertificate', signer.certificate);
  project.provide('samlOtherCertificate', signer.otherCertificate);
  return signer.close;
}

async function makeKeyPair(dir: string, name: string) {
  const key = path.join(dir, `${name}.key`);
  const crt = path.join(dir, `${name}.crt`);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-sha256', '-nodes', '-days', '3650', '-subj', `/CN=${name}.example.test`, '-keyout', key, '-out', crt]);
  const base64 = (await readFile(crt, 'utf8')).replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return { key, crt, base64 };
}

export async function startSamlSigner(): Promise<{ url: string; certificate: string; otherCertificate: string; close: () => Promise<void> }> {
  const keyDir = await mkdtemp(path.join(tmpdir(), 'saml-idp-keys-'));
  const idp = await makeKeyPair(keyDir, 'idp');
  const other = await makeKeyPair(keyDir, 'other');

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      try {
        if (request.method !== 'POST' || request.url !== '/sign') throw new Error(`unknown route ${request.method} ${request.url}`);
        const spec = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SignSpec;
        const xml = await signResponse(spec, spec.useOtherKey ? other : idp);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ samlResponse: Buffer.from(xml, 'utf8').toString('base64'), xml }));
      } catch (error) {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String((error as Error).stack ?? error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    certificate: idp.base64,
    otherCertificate: other.base64,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(keyDir, { recursive: true, force: true });
    },
  };
}

const esc = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const instant = (offsetSeconds: number) => new Date(Date.now() + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const newId = () => `_${randomBytes(20).toString('hex')}`;

const SIGNATURE_METHODS = { 'rsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'rsa-sha1': 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' };
const DIGEST_METHODS = { sha256: 'http://www.w3.org/2001/04/xmlenc#sha256', sha1: 'http://www.w3.org/2000/09/xmldsig#sha1' };

function signatureTemplate(referencedId: string, spec: Pick<SignSpec, 'signatureAlgorithm' | 'digestAlgorithm'> = {}): string {
  return (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    `<ds:SignatureMethod Algorithm="${SIGNATURE_METHODS[spec.signatureAlgorithm ?? 'rsa-sha256']}"/>` +
    `<ds:Reference URI="#${referencedId}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
    `<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="${DIGEST_METHODS[spec.digestAlgorithm ?? 'sha256']}"/>` +
    '<ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>'
  );
}

export async function signResponse(spec: SignSpec, keys: { key: string; crt: string }): Promise<string> {
  const issuer = spec.issuer ?? 'https://idp.example.test/saml';
  const sign = spec.sign ?? 'assertion';
  const responseId = newId();
  const assertionId = newId();
  const now = instant(0);
  const notBefore = instant(spec.skewStartSeconds ?? -5);
  const notOnOrAfter = instant(spec.validitySeconds ?? 300);
  const irt = spec.inResponseTo ? ` InResponseTo="${esc(spec.inResponseTo)}"` : '';
  const destination = spec.destination === null ? '' : ` Destination="${esc(spec.destination ?? spec.acs)}"`;
  const nameId = spec.nameIdXml ?? esc(spec.email ?? 'user@example.test');
  const attributes = Object.entries(spec.attributes ?? {})
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">` +
        values.map((v) => `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`).join('') +
        '</saml:Attribute>',
    )
    .join('');
  const responseSignature = sign === 'response' || sign === 'both' ? signatureTemplate(responseId, spec) : '';
  const assertionSignature = sign === 'assertion' || sign === 'both' ? signatureTemplate(assertionId, spec) : '';
  const method = spec.subjectConfirmationMethod ?? 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

  const build = (withResponseSignature: boolean) =>
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${responseId}" Version="2.0" IssueInstant="${now}"${destination}${irt}>` +
    `<saml:Issuer>${esc(issuer)}</saml:Issuer>${withResponseSignature ? responseSignature : ''}` +
    '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>' +
    `<saml:Assertion ID="${assertionId}" Version="2.0" IssueInstant="${now}"><saml:Issuer>${esc(issuer)}</saml:Issuer>${assertionSignature}` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${nameId}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="${esc(method)}"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${esc(spec.acs)}"${irt}/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${esc(spec.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    (spec.authnStatement === false
      ? ''
      : `<saml:AuthnStatement AuthnInstant="${now}" SessionNotOnOrAfter="${instant(28800)}" SessionIndex="${assertionId}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`) +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
    '</saml:Assertion></samlp:Response>';

  const replaceAll = (xml: string, pairs: Array<[string, string]> | undefined) => {
    for (const [from, to] of pairs ?? []) {
      if (!xml.includes(from)) throw new Error(`replacement target not found: ${from}`);
      xml = xml.split(from).join(to);
    }
    return xml;
  };

  const dir = await mkdtemp(path.join(tmpdir(), 'saml-sign-'));
  try {
    const xmlsecSign = async (input: string) => {
      const inFile = path.join(dir, `in-${randomBytes(4).toString('hex')}.xml`);
      const outFile = `${inFile}.signed`;
      await writeFile(inFile, input, 'utf8');
      await run('xmlsec1', [
        '--sign',
        '--privkey-pem',
        `${keys.key},${keys.crt}`,
        '--id-attr:ID',
        'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
        '--id-attr:ID',
        'urn:oasis:names:tc:SAML:2.0:protocol:Response',
        '--output',
        outFile,
        inFile,
      ]);
      return (await readFile(outFile, 'utf8')).replace(/^<\?xml[^>]*\?>\s*/, '');
    };
    let xml: string;
    if (sign === 'none') xml = replaceAll(build(true), spec.beforeSign);
    else if (sign === 'both') {
      // xmlsec1 signs the first template it finds: the assertion first (response template absent), then the
      // response, whose digest then covers the signed assertion.
      const assertionSigned = await xmlsecSign(replaceAll(build(false), spec.beforeSign));
      const marker = '</saml:Issuer>';
      const at = assertionSigned.indexOf(marker) + marker.length;
      xml = await xmlsecSign(assertionSigned.slice(0, at) + responseSignature + assertionSigned.slice(at));
    } else xml = await xmlsecSign(replaceAll(build(true), spec.beforeSign));
    return replaceAll(xml, spec.afterSign);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
