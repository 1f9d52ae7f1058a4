import { exports, env } from 'cloudflare:workers';
import { createExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../worker/app';

describe('worker smoke', () => {
  it('answers /health with security headers', async () => {
    const response = await exports.default.fetch('https://id.example.test/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('content-security-policy')).not.toContain('unsafe-eval');
  });

  it('an unexpected failure (500 from onError) carries the security headers and no internals', async () => {
    // Attack: break a request inside the Worker (here: its database is missing) and look for an answer that the
    // header middleware did not reach, or that shows a stack.
    const response = await createApp().fetch(new Request('https://id.example.test/api/auth/saml-status'), { ...env, DB: undefined }, createExecutionContext());
    expect(response.status).toBe(500);
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(await response.json()).toEqual({ error: { code: 'INTERNAL', message: 'Something went wrong on our side.' } });
  });

  it('has the migrated schema in D1', async () => {
    const row = await env.DB.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type='table' AND name='tokens'").first<{ n: number }>();
    expect(row?.n).toBe(1);
  });
});
