/**
 * Security headers on every kind of page, over real HTTP to the Worker as `npm start` runs it (wrangler dev with
 * the built UI as static assets).
 *
 * The attack: `/`, `/profile`, `/welcome`, `/assets/*` and the SPA fallback were served straight from the static
 * assets without CSP, frame-ancestors, nosniff, HSTS or a referrer policy, so the sign-in and profile pages could be
 * framed (clickjacking), and an injected script would have run unrestricted. Now every request passes through the
 * Worker, which adds the headers in one middleware (worker/lib/security-headers.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startApp, type E2eApp } from '../../e2e/harness';

let app: E2eApp;

/** A self-signed certificate, so that /saml/metadata has a saved configuration to describe. */
function certificateBase64(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'headers-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=idp.headers.test', '-keyout', path.join(dir, 'k'), '-out', path.join(dir, 'c')], { stdio: 'ignore' });
    return readFileSync(path.join(dir, 'c'), 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  app = await startApp({ browser: false });
  const yaml = `version: "1.0"\nconfig:\n  entityId: https://idp.headers.test/saml\n  singleSignOnServiceUrl: https://idp.headers.test/sso\n  spEntityId: ${app.url}/saml/metadata\n  certificate: ${certificateBase64()}\n  claimEmail: NameID\n`;
  await app.adminApi('PUT', '/saml', { yaml, allowSignIn: false });
});
afterAll(async () => app?.stop());

function scriptOfIndex(): string {
  const html = readFileSync(path.join(ROOT, 'ui', 'dist', 'index.html'), 'utf8');
  const src = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  if (!src) throw new Error('ui/dist/index.html names no /assets/*.js script');
  return src;
}

describe('security headers on every response', () => {
  it('pages, assets, the SPA fallback, the API, SAML and the portal all carry the same strict headers', async () => {
    const pages: Array<{ path: string; accept?: string; expectType: RegExp }> = [
      { path: '/', accept: 'text/html', expectType: /text\/html/ },
      { path: '/login', accept: 'text/html', expectType: /text\/html/ },
      { path: '/profile', accept: 'text/html', expectType: /text\/html/ },
      { path: '/welcome', accept: 'text/html', expectType: /text\/html/ },
      { path: '/admin', accept: 'text/html', expectType: /text\/html/ },
      { path: '/no/such/page', accept: 'text/html', expectType: /text\/html/ },
      { path: '/no/such/page', expectType: /text\/html/ },
      { path: scriptOfIndex(), expectType: /javascript/ },
      { path: '/api/auth/saml-status', expectType: /application\/json/ },
      { path: '/api/admin/users', expectType: /application\/json/ },
      { path: '/api/no-such-endpoint', expectType: /application\/json/ },
      { path: '/saml/metadata', expectType: /samlmetadata\+xml/ },
      { path: '/selfservice/no-such-portal', accept: 'text/html', expectType: /text\/html/ },
      { path: '/health', expectType: /application\/json/ },
    ];
    // All at once, the way a browser (or a scanner) asks for them.
    const responses = await Promise.all(pages.map((page) => fetch(`${app.url}${page.path}`, { headers: page.accept ? { accept: page.accept } : {}, redirect: 'manual' })));
    for (const [i, response] of responses.entries()) {
      const { path: pagePath, expectType } = pages[i]!;
      const label = `${pagePath} (${response.status})`;
      expect(response.status, label).toBeLessThan(500);
      expect(response.headers.get('content-type') ?? '', label).toMatch(expectType);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, label).toContain("frame-ancestors 'none'");
      expect(csp, label).toContain("script-src 'self'");
      expect(csp, label).toContain("object-src 'none'");
      expect(csp, label).not.toContain('unsafe-eval');
      expect(response.headers.get('x-content-type-options'), label).toBe('nosniff');
      expect(response.headers.get('strict-transport-security'), label).toMatch(/max-age=\d{7,}/);
      expect(response.headers.get('referrer-policy'), label).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), label).toBe('DENY');
      await response.arrayBuffer();
    }
    // The UI is what was served, not an error page with headers: the SPA fallback is the app's index.html.
    expect(await (await fetch(`${app.url}/no/such/page`, { headers: { accept: 'text/html' } })).text()).toContain('<div id="app"></div>');
    expect(await (await fetch(`${app.url}/saml/metadata`)).text()).toContain('WantAssertionsSigned="true"');
  });

  it('the index page loads no inline script, so the CSP without unsafe-inline scripts does not break it', () => {
    const html = readFileSync(path.join(ROOT, 'ui', 'dist', 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script[1]!.trim(), script[0]).toBe('');
  });
});
