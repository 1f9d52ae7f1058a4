/**
 * Helpers for tests that run inside workerd: call the Worker over its fetch handler, create an admin with an
 * API key or a signed-in session, and compute codes the way an authenticator app would.
 */
import { env, exports } from 'cloudflare:workers';
import { afterEach, beforeAll, beforeEach, vi } from 'vitest';
import { createApiKey, type ApiKeyScope } from '../../worker/auth/api-keys';
import { hashPassword } from '../../worker/lib/crypto';
import { base32ToBytes } from '../../worker/lib/encoding';
import { generateHotp, importHmacKey } from '../../worker/otp/hotp';
import { generateTotp } from '../../worker/otp/totp';

export const ORIGIN = 'https://id.example.test';

export function call(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers, body }));
}

export async function json<T = any>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}

import { unique } from './unique';

export { unique };

/**
 * An admin API client authenticated by a fresh API key of `scope` (default admin), owned by a fresh admin user
 * (a key works only while its owner is an enabled admin).
 */
export async function adminClient(scope: ApiKeyScope = 'admin') {
  const owner = await insertUser({ login: unique('key-owner-'), password: null, isAdmin: true });
  const { key, apiKey } = await createApiKey(env.DB, { name: unique('test-key-'), scope, ownerUserId: owner.id, nowMs: Date.now() });
  const authorization = `Bearer ${key}`;
  return {
    key,
    keyId: apiKey.id,
    ownerUserId: owner.id,
    request(path: string, init: RequestInit & { json?: unknown } = {}) {
      const headers = new Headers(init.headers);
      headers.set('authorization', authorization);
      return call(`/api/admin${path}`, { ...init, headers });
    },
    async post<T = any>(path: string, body: unknown): Promise<T> {
      const response = await this.request(path, { method: 'POST', json: body });
      if (!response.ok) throw new Error(`POST ${path} -> ${response.status} ${await response.text()}`);
      return response.status === 204 ? (undefined as T) : json<T>(response);
    },
    async put(path: string, body: unknown): Promise<void> {
      const response = await this.request(path, { method: 'PUT', json: body });
      if (!response.ok) throw new Error(`PUT ${path} -> ${response.status} ${await response.text()}`);
    },
    async get<T = any>(path: string): Promise<T> {
      const response = await this.request(path);
      if (!response.ok) throw new Error(`GET ${path} -> ${response.status} ${await response.text()}`);
      return json<T>(response);
    },
  };
}

export type AdminClient = Awaited<ReturnType<typeof adminClient>>;

/** The verify tests' clock: 10 s into a 30 s TOTP step, so the step does not turn during a test. */
export const VERIFY_T0 = Date.UTC(2026, 5, 1, 12, 0, 10);

/** Freezes Date at `at` for each test of the file (timers stay real), and gives it back after each. */
export function freezeDateAt(at: number): number {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(at);
  });
  afterEach(() => vi.useRealTimers());
  return at;
}

/** An admin client and a resource of the file's own, made before its tests (read them once beforeAll has run). */
export function adminWithResource(): { readonly admin: AdminClient; readonly resource: { id: string; name: string } } {
  let made: { admin: AdminClient; resource: { id: string; name: string } } | undefined;
  beforeAll(async () => {
    const admin = await adminClient();
    made = { admin, resource: await admin.post('/resources', { name: unique('VPN-') }) };
  });
  const ready = () => {
    if (!made) throw new Error('the admin and the resource are made in beforeAll');
    return made;
  };
  return {
    get admin() {
      return ready().admin;
    },
    get resource() {
      return ready().resource;
    },
  };
}

/** Inserts a user directly (for tests about sign-in rather than about user management). */
export async function insertUser(input: { login?: string; password?: string | null; isAdmin?: boolean; enabled?: boolean; email?: string | null } = {}) {
  const id = crypto.randomUUID();
  const login = input.login ?? unique('user');
  const now = Date.now();
  await env.DB.prepare(
    'INSERT INTO users (id, login, email, password_hash, is_admin, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  )
    .bind(id, login, input.email ?? null, input.password === null ? null : await hashPassword(input.password ?? 'correct horse battery'), input.isAdmin ? 1 : 0, input.enabled === false ? 0 : 1, now, now)
    .run();
  return { id, login, password: input.password ?? 'correct horse battery' };
}

/** Signs in through the real /api/auth/login and returns the cookie and CSRF token to send. */
export async function signIn(login: string, password: string) {
  const response = await call('/api/auth/login', { method: 'POST', json: { login, password } });
  const body = await json(response);
  if (body.state !== 'signed_in') throw new Error(`sign-in did not complete: ${JSON.stringify(body)}`);
  const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
  return { cookie, csrfToken: body.csrfToken as string, user: body.user };
}

export async function totpAt(secretBase32: string, nowMs: number, options: { digits?: number; periodSeconds?: number; algorithm?: 'SHA1' | 'SHA256' | 'SHA512' } = {}) {
  const key = await importHmacKey(base32ToBytes(secretBase32), options.algorithm ?? 'SHA1');
  return generateTotp(key, nowMs, options.periodSeconds ?? 30, options.digits ?? 6);
}

export async function hotpAt(secretBase32: string, counterValue: number, digits = 6) {
  const key = await importHmacKey(base32ToBytes(secretBase32), 'SHA1');
  return generateHotp(key, counterValue, digits);
}

/** 20 random bytes as base32: a fresh seed for a hardware token. */
export function randomSeedBase32(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => alphabet[b & 31]).join('');
}
