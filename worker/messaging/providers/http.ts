/** One HTTP call to a provider: bounded by a timeout, no redirects followed, errors turned into ProviderError. */
import { PROVIDER_ERROR_MAX_CHARS } from '../../constants';
import { ProviderError } from './types';

export interface ProviderResponse {
  status: number;
  text: string;
  json: unknown;
}

/** Provider answers are small; a huge body is not read beyond this. */
const MAX_RESPONSE_CHARS = 64 * 1024;

export async function callProvider(provider: string, url: string, init: RequestInit, timeoutMs: number): Promise<ProviderResponse> {
  let response: Response;
  try {
    // Redirects are not followed: a redirect could carry the credentials in our headers to another host.
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const name = (error as { name?: string })?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new ProviderError(provider, 'timeout', `no answer within ${timeoutMs} ms`);
    throw new ProviderError(provider, 'network', `could not connect: ${(error as Error)?.message ?? String(error)}`);
  }
  let text: string;
  try {
    text = (await response.text()).slice(0, MAX_RESPONSE_CHARS);
  } catch (error) {
    const name = (error as { name?: string })?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new ProviderError(provider, 'timeout', `no complete answer within ${timeoutMs} ms`);
    throw new ProviderError(provider, 'network', 'the answer could not be read');
  }
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

export function httpError(provider: string, response: ProviderResponse, detail?: string): ProviderError {
  const what = detail ?? (response.text.replace(/\s+/g, ' ').trim() || 'no body');
  return new ProviderError(provider, 'http', `HTTP ${response.status}: ${truncate(what)}`);
}

export function truncate(text: string): string {
  return text.length > PROVIDER_ERROR_MAX_CHARS ? `${text.slice(0, PROVIDER_ERROR_MAX_CHARS)}…` : text;
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
