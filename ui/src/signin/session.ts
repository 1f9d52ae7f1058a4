import type { InferResponseType } from 'hono/client';
import { answer, authApi } from '../lib/api-client';

/** The signed-in platform user and the session's CSRF token, as GET /api/auth/me declares them. */
export type SignedIn = InferResponseType<typeof authApi.me.$get, 200>;

/** The signed-in platform user, or null. Also primes the CSRF token for later calls. */
export async function loadSession(): Promise<SignedIn | null> {
  try {
    return await answer(authApi.me.$get());
  } catch {
    return null;
  }
}

export async function signOut(): Promise<void> {
  try {
    await answer(authApi.logout.$post());
  } finally {
    location.assign('/login');
  }
}

/** Only same-origin paths are followed after sign-in: an open redirect would help phishing. */
export function safeNextPath(next: string | null): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  return next;
}
