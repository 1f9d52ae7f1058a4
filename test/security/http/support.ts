/**
 * What the HTTP attack tests share: the product started as `npm start` runs it (test/e2e/harness.ts, no browser)
 * with email going to the impersonated Postmark, so a test reads the codes and links "sent", and a JSON poster that
 * sends each request from its own address of a documentation range (per-IP limits are not what these tests probe).
 */
import { afterAll, beforeAll } from 'vitest';
import { startApp, type E2eApp } from '../../e2e/harness';
import { unique } from '../../helpers/unique';

/**
 * The app for one test file, started before its tests and stopped after them, with a resource of the file's own
 * (read them once beforeAll has run: `fixture.app`, `fixture.resource`).
 */
export function appWithResource(options: Parameters<typeof startApp>[0] = { browser: false }): { readonly app: E2eApp; readonly resource: { id: string; name: string } } {
  let app: E2eApp | undefined;
  let resource: { id: string; name: string } | undefined;
  beforeAll(async () => {
    app = await startApp(options);
    resource = await app.adminApi('POST', '/resources', { name: unique('VPN-') });
  });
  afterAll(async () => app?.stop());
  return {
    get app() {
      if (!app) throw new Error('the app is started in beforeAll');
      return app;
    },
    get resource() {
      if (!resource) throw new Error('the resource is made in beforeAll');
      return resource;
    },
  };
}

/** Starts the app with SMS in the outbox and email through the impersonated Postmark under `scenario`. */
export async function startAttackedApp(scenario: string): Promise<E2eApp> {
  const app = await startApp({ providers: true, browser: false });
  const settings = await app.adminApi('GET', '/messaging/settings');
  await app.adminApi('PUT', '/messaging/settings', {
    sms: { primary: { type: 'outbox' }, fallback: null },
    email: { provider: { type: 'postmark', serverToken: 'e2e-postmark-token', baseUrl: `${app.providers!.url}/${scenario}` }, fromAddress: 'security@id.example.com', fromName: 'Example ID' },
    templates: settings.templates,
  });
  return app;
}

/** POSTs JSON to the app, each call from the next address of `ipPrefix` (e.g. '203.0.113.'). */
export function jsonPoster(app: () => E2eApp, ipPrefix: string) {
  let ipCounter = 0;
  return async (path: string, body: unknown) => {
    const response = await fetch(`${app().url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': `${ipPrefix}${++ipCounter % 250}` },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as any, sessionCookie: response.headers.get('set-cookie') };
  };
}
