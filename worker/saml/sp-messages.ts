/**
 * What this service provider sends: the AuthnRequest (HTTP-Redirect binding: raw DEFLATE, Base64, URL-encoded,
 * SAML bindings §3.4.4) and its own metadata for IdP administrators.
 */
import { bytesToBase64 } from '../lib/encoding';
import { BINDING_POST, BINDING_REDIRECT } from './metadata-import';

export const NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
];

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A fresh request ID: 160 random bits, prefixed so it is a valid xs:ID (an NCName may not start with a digit). */
export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  return `_${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function buildAuthnRequest(input: { requestId: string; nowMs: number; spEntityId: string; acsUrl: string; destination: string }): string {
  return (
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
    ` ID="${escapeXml(input.requestId)}" Version="2.0" IssueInstant="${new Date(input.nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z')}"` +
    ` Destination="${escapeXml(input.destination)}" AssertionConsumerServiceURL="${escapeXml(input.acsUrl)}" ProtocolBinding="${BINDING_POST}">` +
    `<saml:Issuer>${escapeXml(input.spEntityId)}</saml:Issuer>` +
    `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" AllowCreate="true"/>` +
    `</samlp:AuthnRequest>`
  );
}

/** The IdP's SSO URL with SAMLRequest (and RelayState) appended, keeping any query the URL already has. */
export async function redirectBindingUrl(ssoUrl: string, authnRequestXml: string, relayState: string | null): Promise<string> {
  const url = new URL(ssoUrl);
  url.searchParams.append('SAMLRequest', bytesToBase64(await deflateRaw(authnRequestXml)));
  if (relayState) url.searchParams.append('RelayState', relayState);
  return url.toString();
}

/**
 * `text` as UTF-8 in raw DEFLATE (RFC 1951, no zlib header), as the Redirect binding asks, by the runtime's
 * CompressionStream. Only our own AuthnRequest goes through it; the SP never inflates what it receives (the POST
 * binding is not compressed), so nothing here decompresses and needs a size cap.
 */
async function deflateRaw(text: string): Promise<Uint8Array> {
  const compressed = new Response(text).body!.pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}

/**
 * The SP's EntityDescriptor: entityID, the ACS (HTTP-POST), the NameID formats, and WantAssertionsSigned as the ACS
 * enforces it (true unless the configuration accepts Response-only signatures).
 */
export function buildSpMetadata(input: { spEntityId: string; acsUrl: string; loginUrl: string; wantAssertionsSigned: boolean }): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${escapeXml(input.spEntityId)}">\n` +
    `  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="${input.wantAssertionsSigned}" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n` +
    NAME_ID_FORMATS.map((format) => `    <md:NameIDFormat>${format}</md:NameIDFormat>\n`).join('') +
    `    <md:AssertionConsumerService Binding="${BINDING_POST}" Location="${escapeXml(input.acsUrl)}" index="0" isDefault="true"/>\n` +
    `  </md:SPSSODescriptor>\n` +
    `</md:EntityDescriptor>\n`
  );
}

export { BINDING_REDIRECT };
