/**
 * The JSON body limit over real HTTP, against the Worker as `npm start` runs it, written on a raw socket so the
 * framing is the attacker's own (fetch would set Content-Length itself).
 *
 * The attacks: a body larger than MAX_JSON_BODY_BYTES (a) declared as such, (b) sent chunked with no length
 * declared, so only counting while reading can refuse it, and (c) sent with a small declared length in the hope
 * that the Worker reads past it. The Worker reads a declared body whole (lib/validate.ts readBodyText): that is
 * safe only because the HTTP layer delivers exactly the declared bytes, which (c) checks.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_BODY_BYTES } from '../../../worker/constants';
import { startApp, type E2eApp } from '../../e2e/harness';

let app: E2eApp;

beforeAll(async () => {
  app = await startApp({ browser: false });
});
afterAll(async () => app?.stop());

/** Writes `head` and `body` on one connection and returns everything the server answers until it closes. */
function rawExchange(head: string, body: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    socket.on('data', (chunk) => received.push(Buffer.from(chunk)));
    socket.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(Buffer.concat(received).toString('utf8')) : reject(error)));
    socket.on('end', () => resolve(Buffer.concat(received).toString('utf8')));
    socket.setTimeout(20_000, () => socket.destroy(new Error('no answer within 20 s')));
    socket.write(head);
    socket.end(body);
  });
}

const requestHead = (headers: Record<string, string>) =>
  `POST /api/admin/users HTTP/1.1\r\nHost: ${new URL(app.url).host}\r\nAuthorization: Bearer ${app.admin.apiKey}\r\nContent-Type: application/json\r\nConnection: close\r\n` +
  Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('') +
  '\r\n';

/** An admin user create whose login is unique to the test, padded with `padding` bytes of a long first name. */
function createUserBody(login: string, padding: number): string {
  return JSON.stringify({ login, firstName: 'y'.repeat(padding) });
}

async function userExists(login: string): Promise<boolean> {
  const page = await app.adminApi('GET', `/users?search=${encodeURIComponent(login)}`);
  return page.items.some((user: { login: string }) => user.login === login);
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);

describe('the JSON body limit, over real HTTP', () => {
  it('a body declared larger than the limit is refused with PAYLOAD_TOO_LARGE and creates nothing', async () => {
    const login = `big-declared-${Date.now().toString(36)}`;
    const body = createUserBody(login, MAX_JSON_BODY_BYTES);
    const answer = await rawExchange(requestHead({ 'Content-Length': String(Buffer.byteLength(body)) }), body);
    expect(statusOf(answer)).toBe(413);
    expect(answer).toContain('PAYLOAD_TOO_LARGE');
    expect(await userExists(login)).toBe(false);
  });

  it('a chunked body past the limit, no length declared, is counted while read and refused', async () => {
    const login = `big-chunked-${Date.now().toString(36)}`;
    const body = createUserBody(login, MAX_JSON_BODY_BYTES);
    const chunks: string[] = [];
    for (let offset = 0; offset < body.length; offset += 4096) {
      const piece = body.slice(offset, offset + 4096);
      chunks.push(`${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`);
    }
    const answer = await rawExchange(requestHead({ 'Transfer-Encoding': 'chunked' }), chunks.join('') + '0\r\n\r\n');
    expect(statusOf(answer)).toBe(413);
    expect(answer).toContain('PAYLOAD_TOO_LARGE');
    expect(await userExists(login)).toBe(false);
  });

  it('a body longer than its declared length is read only as far as declared: the cut JSON is refused', async () => {
    const login = `long-body-${Date.now().toString(36)}`;
    const body = createUserBody(login, 2 * MAX_JSON_BODY_BYTES);
    // Declares the first 40 bytes: `{"login":"long-body-…","firstName":"yyy` is not JSON.
    const answer = await rawExchange(requestHead({ 'Content-Length': '40' }), body);
    expect(statusOf(answer)).toBe(400);
    expect(answer).toContain('MALFORMED_JSON');
    expect(await userExists(login)).toBe(false);
  });

  it('within the limit, the same request with an honest length and chunked both create the user', async () => {
    const declared = `fits-declared-${Date.now().toString(36)}`;
    const declaredBody = createUserBody(declared, 100);
    expect(statusOf(await rawExchange(requestHead({ 'Content-Length': String(Buffer.byteLength(declaredBody)) }), declaredBody))).toBe(201);
    const chunked = `fits-chunked-${Date.now().toString(36)}`;
    const chunkedBody = createUserBody(chunked, 100);
    expect(statusOf(await rawExchange(requestHead({ 'Transfer-Encoding': 'chunked' }), `${Buffer.byteLength(chunkedBody).toString(16)}\r\n${chunkedBody}\r\n0\r\n\r\n`))).toBe(201);
    expect(await userExists(declared)).toBe(true);
    expect(await userExists(chunked)).toBe(true);
  });
});
