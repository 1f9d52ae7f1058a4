/**
 * The one way the UI talks to the Worker: `apiFetch` under the typed clients (./api-client.ts), with the session's
 * CSRF token on every state change and failures as `ApiError` carrying the server's stable code (translated for
 * display by `describeError`).
 */
import type { z } from 'zod';
import type { FieldIssue } from '../../../worker/contract/field-issues';
import type { ErrorEnvelope } from '../../../worker/lib/api-router';
import { ERROR_TEXTS } from './error-texts';

/** A refusal's body as every route declares it; read warily, since a proxy's error page is not one. */
type Refusal = Partial<z.infer<typeof ErrorEnvelope>['error']>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The refused fields of a VALIDATION_FAILED (worker/contract/field-issues.ts); none for any other failure. */
  get fieldIssues(): FieldIssue[] {
    const issues = (this.details as { issues?: unknown } | undefined)?.issues;
    if (this.code !== 'VALIDATION_FAILED' || !Array.isArray(issues)) return [];
    return issues.filter((issue): issue is FieldIssue => typeof issue?.path === 'string' && typeof issue?.message === 'string');
  }
}

let csrfToken = '';

/** Set from every answer that carries one (/api/auth/me, sign-in, portal /me). */
export function rememberCsrfToken(token: string | undefined): void {
  if (token) csrfToken = token;
}

/**
 * `fetch` with the API's rules, for the typed clients (./api-client.ts): JSON accepted, the
 * CSRF token on every state change, the session cookie, and any refusal thrown as ApiError (a network failure as
 * NETWORK), so a caller only ever sees an answer the route declared. The answer's CSRF token is remembered.
 */
export async function apiFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  headers.set('accept', 'application/json');
  if (method !== 'GET' && csrfToken) headers.set('x-csrf-token', csrfToken);
  let response: Response;
  try {
    response = await fetch(input, { ...init, method, headers, credentials: 'same-origin' });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', ERROR_TEXTS.en.NETWORK);
  }
  if (response.status === 204) return response;
  const text = await response.text();
  let data: { error?: Refusal; csrfToken?: string } | undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    // A non-JSON answer (an HTML error page from a proxy, say) is reported below by status.
  }
  if (!response.ok) {
    const error = data?.error;
    throw new ApiError(response.status, error?.code ?? 'HTTP_' + response.status, error?.message ?? response.statusText, error?.details);
  }
  rememberCsrfToken(data?.csrfToken);
  // The body was read to look for the token; the caller gets it again, unchanged.
  return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** Builds a query string from the defined, non-empty values only. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
