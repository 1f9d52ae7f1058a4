/**
 * One HTTP call to a provider: only to the origin its credentials were entered for and only to a public host
 * (checked again right here, whatever built the URL), bounded by a timeout, no redirects followed, errors turned
 * into ProviderError that keep the remote text apart from ours (the service shows only a sanitized snippet of it).
 */
import { PROVIDER_ERROR_MAX_CHARS } from '../../constants';
import { originOf, outboundUrlProblem, type OutboundPolicy } from '../../lib/outbound-url';
import { ProviderError } from './types';

export interface ProviderResponse {
  status: number;
  text: string;
  json: unknown;
}

/** Where one provider's requests may go. */
export interface ProviderTarget extends OutboundPolicy {
  /** The origin of the URL the provider's secrets were entered for (they were unsealed for exactly that URL). */
  origin: string;
}

/** Provider answers are small; a huge body is not read beyond this. */
const MAX_RESPONSE_CHARS = 64 * 1024;

export async function callProvider(provider: string, target: ProviderTarget, url: string, init: RequestInit, timeoutMs: number): Promise<ProviderResponse> {
  // Settings written before these rules or by hand into D1, or an adapter that builds a URL wrongly, must not
  // carry credentials to a private address or to any host other than the one they were entered for.
  const problem = outboundUrlProblem(url, target);
  if (problem) throw new ProviderError(provider, 'config', `refused before sending (the provider URL must use https and name a public host): ${problem.message}`);
  if (originOf(url) !== target.origin) throw new ProviderError(provider, 'config', 'refused before sending: the request URL is not on the host the credentials were entered for');
  let response: Response;
  try {
    // Redirects are not followed: a redirect could carry the credentials in our headers to another host.
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const name = (error as { name?: string })?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new ProviderError(provider, 'timeout', `no answer within ${timeoutMs} ms`);
    throw new ProviderError(provider, 'network', 'could not connect', (error as Error)?.message ?? String(error));
  }
  let text: string;
  try {
    text = (await response.text()).slice(0, MAX_RESPONSE_CHARS);
  } catch (error) {
    const name = (error as { name?: string })?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new ProviderError(provider, 'timeout', `no complete answer within ${timeoutMs} ms`);
    throw new ProviderError(provider, 'network', 'the answer could not be read');
  }
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** "HTTP <status>" is ours; `detail` (what the provider said, parsed) or else the body is the remote text. */
export function httpError(provider: string, response: ProviderResponse, detail?: string): ProviderError {
  return new ProviderError(provider, 'http', `HTTP ${response.status}`, detail ?? response.text, response.status);
}

/**
 * What of a remote text may be shown and logged: tags, control and format characters (bidi overrides,
 * zero-width) and line breaks removed, whitespace collapsed, at most PROVIDER_ERROR_MAX_CHARS. Secrets and codes
 * must be redacted from `text` BEFORE this, so that no cut leaves half a secret behind.
 */
export function remoteSnippet(text: string): string {
  const plain = text
    .replace(/<(script|style)\b[\s\S]*?(<\/\1\s*>|$)/gi, ' ')
    .replace(/<[^>]*>?/g, ' ')
    .replace(/[<>]/g, ' ')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > PROVIDER_ERROR_MAX_CHARS ? `${plain.slice(0, PROVIDER_ERROR_MAX_CHARS)}…` : plain;
}

export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}

export function basicAuth(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
