import { api } from '../lib/api';

export interface SignedIn {
  user: { id: string; login: string; firstName: string; lastName: string; email: string | null; language: 'de' | 'en'; isAdmin: boolean };
  csrfToken: string;
}

/** The signed-in platform user, or null. Also primes the CSRF token for later calls. */
export async function loadSession(): Promise<SignedIn | null> {
  try {
    return await api.get<SignedIn>('/api/auth/me');
  } catch {
    return null;
  }
}

export async function signOut(): Promise<void> {
  try {
    await api.post('/api/auth/logout');
  } finally {
    location.assign('/login');
  }
}

/** Only same-origin paths are followed after sign-in: an open redirect would help phishing. */
export function safeNextPath(next: string | null): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  return next;
}
