/**
 * A vitest globalSetup (runs in Node, before the workerd test workers): a loopback HTTP server that impersonates
 * the SMS and email providers' APIs, so messaging tests send real HTTP requests and then assert what arrived.
 *
 * Each test uses its own scenario id as the first path segment of the provider base URL
 * (`${providerServerUrl}/<scenario>`), so files running in parallel never see each other's requests.
 *
 *   <scenario>/2010-04-01/Accounts/<sid>/Messages.json   Twilio     (Basic auth required, 201 + sid)
 *   <scenario>/sms/json                                  Vonage     (api_key/api_secret required, status "0")
 *   <scenario>/messages                                  MessageBird (AccessKey required, 201 + id)
 *   <scenario>/email                                     Postmark   (X-Postmark-Server-Token required, ErrorCode 0)
 *   <scenario>/<anything else>                           a generic gateway: 200 "OK"
 *
 *   POST /__scenario/<scenario>            {status?, body?, contentType?, delayMs?, times?} overrides the answers
 *                                          (the next `times` requests, or all when absent)
 *   GET  /__scenario/<scenario>/requests   the requests received: [{method, path, query, headers, body}]
 *
 * Tests read the server's address with `inject('providerServerUrl')`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    providerServerUrl: string;
  }
}

interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

interface Override {
  status?: number;
  body?: string;
  contentType?: string;
  delayMs?: number;
  times?: number;
  /** Extra answer headers, e.g. a Location for a redirect. */
  headers?: Record<string, string>;
}

interface Scenario {
  requests: RecordedRequest[];
  overrides: Override[];
}

export default async function setup(project: TestProject) {
  const server = await startProviderServer();
  project.provide('providerServerUrl', server.url);
  return server.close;
}

/** Starts the impersonating server on a free loopback port (also used by the browser tests' harness). */
export async function startProviderServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const scenarios = new Map<string, Scenario>();
  const scenario = (id: string) => {
    let found = scenarios.get(id);
    if (!found) {
      found = { requests: [], overrides: [] };
      scenarios.set(id, found);
    }
    return found;
  };

  const server = createServer((request, response) => {
    void handle(request, response).catch((error) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(request);
    const segments = url.pathname.split('/').filter(Boolean);

    if (segments[0] === '__scenario' && segments[1]) {
      const target = scenario(segments[1]);
      if (request.method === 'GET' && segments[2] === 'requests') return send(response, 200, JSON.stringify(target.requests), 'application/json');
      if (request.method === 'POST') {
        target.overrides.push(JSON.parse(body || '{}') as Override);
        return send(response, 204, '', 'text/plain');
      }
      return send(response, 405, 'method not allowed', 'text/plain');
    }

    const [scenarioId, ...rest] = segments;
    if (!scenarioId) return send(response, 404, 'no scenario in the path', 'text/plain');
    const current = scenario(scenarioId);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
    current.requests.push({ method: request.method ?? 'GET', path: `/${rest.join('/')}`, query: Object.fromEntries(url.searchParams), headers, body });

    const override = current.overrides[0];
    if (override) {
      if (override.times !== undefined && --override.times <= 0) current.overrides.shift();
      if (override.delayMs) await new Promise((resolve) => setTimeout(resolve, override.delayMs));
      if (response.destroyed) return;
      if (override.status !== undefined) return send(response, override.status, override.body ?? '', override.contentType ?? 'application/json', override.headers);
    }
    const [status, answer, type] = impersonate(`/${rest.join('/')}`, request, headers, body);
    send(response, status, answer, type);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers the way each provider's real API does (shape, status codes, auth failures). */
function impersonate(path: string, request: IncomingMessage, headers: Record<string, string>, body: string): [number, string, string] {
  const json = (status: number, value: unknown): [number, string, string] => [status, JSON.stringify(value), 'application/json'];
  const id = () => Math.random().toString(16).slice(2).padEnd(16, '0');

  const twilio = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(path);
  if (twilio && request.method === 'POST') {
    const auth = /^Basic (.+)$/.exec(headers.authorization ?? '');
    const [user] = auth ? Buffer.from(auth[1]!, 'base64').toString('utf8').split(':') : [];
    if (!auth || user !== decodeURIComponent(twilio[1]!)) {
      return json(401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
    }
    const form = new URLSearchParams(body);
    if (!form.get('To') || !form.get('Body')) return json(400, { code: 21604, message: "A 'To' phone number is required.", status: 400 });
    return json(201, { sid: `SM${id()}${id()}`, status: 'queued', to: form.get('To'), from: form.get('From'), body: form.get('Body') });
  }

  if (path === '/sms/json' && request.method === 'POST') {
    const form = new URLSearchParams(body);
    if (!form.get('api_key') || !form.get('api_secret')) {
      return json(200, { 'message-count': '1', messages: [{ status: '2', 'error-text': 'Missing api_key' }] });
    }
    return json(200, { 'message-count': '1', messages: [{ to: form.get('to'), 'message-id': id(), status: '0', 'remaining-balance': '3.14', 'message-price': '0.07', network: '26201' }] });
  }

  if (path === '/messages' && request.method === 'POST') {
    if (!/^AccessKey \S+$/.test(headers.authorization ?? '')) {
      return json(401, { errors: [{ code: 2, description: 'Request not allowed (incorrect access_key)', parameter: 'access_key' }] });
    }
    const message = JSON.parse(body) as { recipients: string[]; originator: string; body: string };
    return json(201, { id: id(), href: 'https://rest.messagebird.com/messages/x', originator: message.originator, body: message.body, recipients: { totalCount: message.recipients.length, totalSentCount: message.recipients.length } });
  }

  if (path === '/email' && request.method === 'POST') {
    if (!headers['x-postmark-server-token']) return json(401, { ErrorCode: 10, Message: 'No Account or Server API tokens were supplied in the HTTP headers.' });
    const message = JSON.parse(body) as { To: string };
    return json(200, { To: message.To, SubmittedAt: new Date().toISOString(), MessageID: `${id()}-${id()}`, ErrorCode: 0, Message: 'OK' });
  }

  return [200, 'OK', 'text/plain'];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: string, contentType: string, headers: Record<string, string> = {}) {
  if (response.destroyed) return;
  response.writeHead(status, status === 204 ? headers : { ...headers, 'content-type': contentType });
  response.end(status === 204 ? undefined : body);
}
