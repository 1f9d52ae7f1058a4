/**
 * Helpers for SAML tests inside workerd: configure and apply the SP through the admin API, start an SP-initiated
 * sign-in, ask the Node-side xmlsec1 signer (saml-signed-responses.ts) for a fresh response, post it to the ACS.
 */
import { env } from 'cloudflare:workers';
import { inject } from 'vitest';
import { adminClient, call, ORIGIN } from '../helpers/worker';
import type { SignSpec } from './saml-signed-responses';

export const ACS_URL = `${ORIGIN}/saml/acs`;
export const SP_ENTITY_ID = `${ORIGIN}/saml/metadata`;
export const IDP_ENTITY_ID = 'https://idp.example.test/saml';
export const IDP_SSO_URL = 'https://idp.example.test/saml/sso';
export const BINDING_COOKIE = '__Host-eid_saml_req';
export const CLAIMS = {
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  firstName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  lastName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  language: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/locale',
};

export function samlYaml(
  options: { certificate?: string; allowIdpInitiated?: boolean; claimEmail?: string; allowSha1Signatures?: boolean; allowResponseOnlySignatures?: boolean } = {},
): string {
  return `version: "1.0"
config:
  entityId: ${IDP_ENTITY_ID}
  singleSignOnServiceUrl: ${IDP_SSO_URL}
  spEntityId: ${SP_ENTITY_ID}
  certificate: ${options.certificate ?? inject('samlIdpCertificate')}
  claimEmail: ${options.claimEmail ?? CLAIMS.email}
  claimFirstName: ${CLAIMS.firstName}
  claimLastName: ${CLAIMS.lastName}
  claimLanguage: ${CLAIMS.language}
  allowIdpInitiated: ${options.allowIdpInitiated ?? false}
${options.allowSha1Signatures === undefined ? '' : `  allowSha1Signatures: ${options.allowSha1Signatures}\n`}${options.allowResponseOnlySignatures === undefined ? '' : `  allowResponseOnlySignatures: ${options.allowResponseOnlySignatures}\n`}`;
}

/** Saves and applies a configuration (allowed unless told otherwise). */
export async function configureSaml(options: Parameters<typeof samlYaml>[0] & { allowSignIn?: boolean } = {}) {
  const admin = await adminClient();
  await admin.put('/saml', { yaml: samlYaml(options), allowSignIn: options.allowSignIn ?? true });
  await admin.post('/saml/apply', {});
  return admin;
}

let ipCounter = 0;
/** A distinct client IP per scenario keeps the per-IP rate limits out of unrelated tests. */
export function freshIp(): string {
  ipCounter++;
  return `198.51.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
}

export interface StartedLogin {
  requestId: string;
  relayState: string | null;
  cookie: string;
  ip: string;
  authnRequest: string;
  location: URL;
}

export async function startLogin(returnTo?: string, ip = freshIp()): Promise<StartedLogin> {
  const response = await call(`/saml/login${returnTo === undefined ? '' : `?RelayState=${encodeURIComponent(returnTo)}`}`, { headers: { 'cf-connecting-ip': ip }, redirect: 'manual' });
  if (response.status !== 302) throw new Error(`/saml/login -> ${response.status} ${await response.text()}`);
  const location = new URL(response.headers.get('location')!);
  const deflated = Uint8Array.from(atob(location.searchParams.get('SAMLRequest')!), (c) => c.charCodeAt(0));
  const authnRequest = new TextDecoder().decode(await inflateRaw(deflated, AUTHN_REQUEST_MAX_BYTES));
  const requestId = /\bID="([^"]+)"/.exec(authnRequest)![1]!;
  const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
  return { requestId, relayState: location.searchParams.get('RelayState'), cookie, ip, authnRequest, location };
}

/** Our AuthnRequest is under 1 KB; a redirect that inflates past this is a bug, not a request to read on. */
const AUTHN_REQUEST_MAX_BYTES = 64 * 1024;

/**
 * Raw INFLATE by the runtime's DecompressionStream, stopped once the output passes `maxBytes` (a few KB of DEFLATE
 * can expand a thousandfold, so nothing is inflated without a cap).
 */
export async function inflateRaw(compressed: Uint8Array<ArrayBuffer>, maxBytes: number): Promise<Uint8Array> {
  const reader = new Response(compressed).body!.pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    length += read.value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      throw new Error(`inflated past ${maxBytes} bytes`);
    }
    chunks.push(read.value);
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export async function signResponse(spec: Partial<SignSpec> = {}): Promise<{ samlResponse: string; xml: string }> {
  const full: SignSpec = { audience: SP_ENTITY_ID, acs: ACS_URL, issuer: IDP_ENTITY_ID, ...spec };
  const response = await fetch(`${inject('samlSignerUrl')}/sign`, { method: 'POST', body: JSON.stringify(full) });
  if (!response.ok) throw new Error(`signer: ${await response.text()}`);
  return response.json();
}

export function postAcs(samlResponse: string | null, options: { cookie?: string; relayState?: string; ip?: string; acceptLanguage?: string; body?: string } = {}) {
  const form = new URLSearchParams();
  if (samlResponse !== null) form.set('SAMLResponse', samlResponse);
  if (options.relayState !== undefined) form.set('RelayState', options.relayState);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': options.ip ?? freshIp() };
  if (options.cookie) headers.cookie = options.cookie;
  if (options.acceptLanguage) headers['accept-language'] = options.acceptLanguage;
  return call('/saml/acs', { method: 'POST', body: options.body ?? form.toString(), headers, redirect: 'manual' });
}

/** The reference shown on the error page (the page never says the reason). */
export function referenceOf(html: string): string | null {
  return /data-testid="saml-error-reference">([^<]*)</.exec(html)?.[1] ?? null;
}

/**
 * Why a sign-in was refused: the reason recorded in the activity log under the page's reference. Also checks the
 * page itself gives nothing away: the generic text only, never the reason.
 */
export async function reasonOf(response: Response): Promise<string | null> {
  const html = await response.text();
  const reference = referenceOf(html);
  if (!reference) return null;
  const row = await env.DB.prepare("SELECT detail FROM user_activities WHERE type = 'UserLoginAttempt' AND json_extract(detail, '$.reference') = ?").bind(reference).first<{ detail: string }>();
  const reason = row ? (JSON.parse(row.detail).reason as string) : null;
  if (reason && html.includes(reason)) throw new Error(`the error page names the reason ${reason}`);
  return reason;
}

/** The kind of error page (failed / unavailable / busy / return_path). */
export async function errorKindOf(response: Response): Promise<string | null> {
  return /data-kind="([^"]*)"/.exec(await response.text())?.[1] ?? null;
}

export function sessionCookieOf(response: Response): string | null {
  const header = response.headers.getSetCookie().find((c) => c.startsWith('__Host-eid_session='));
  return header ? header.split(';')[0]! : null;
}

/** A full SP-initiated sign-in: /saml/login, a signed response for that request, the ACS post. */
export async function signInWithSaml(spec: Partial<SignSpec> = {}, returnTo?: string) {
  const login = await startLogin(returnTo);
  const { samlResponse } = await signResponse({ inResponseTo: login.requestId, ...spec });
  const response = await postAcs(samlResponse, { cookie: login.cookie, ip: login.ip, relayState: login.relayState ?? undefined });
  return { login, response, samlResponse };
}
