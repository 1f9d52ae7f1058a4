import { exports, env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

describe('worker smoke', () => {
  it('answers /health with security headers', async () => {
    const response = await exports.default.fetch('https://id.example.test/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('content-security-policy')).not.toContain('unsafe-eval');
  });

  it('has the migrated schema in D1', async () => {
    const row = await env.DB.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type='table' AND name='tokens'").first<{ n: number }>();
    expect(row?.n).toBe(1);
  });
});
