/**
 * The admin API's contract for bad input: each a clear error with a stable code, and nothing changed.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_BODY_BYTES } from '../../worker/constants';
import { adminClient, json, randomSeedBase32, unique } from '../helpers/worker';

const count = async (table: string) => (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())!.n;

describe('admin API bad input', async () => {
  const admin = await adminClient();

  async function expectError(response: Promise<Response>, status: number, code: string) {
    const r = await response;
    const body = await json(r);
    expect({ status: r.status, code: body.error?.code }).toEqual({ status, code });
    expect(JSON.stringify(body)).not.toMatch(/SQLITE|at \w+ \(|stack/i);
    return body;
  }

  it('malformed JSON', async () => {
    await expectError(admin.request('/users', { method: 'POST', body: '{"login": ', headers: { 'content-type': 'application/json' } }), 400, 'MALFORMED_JSON');
  });

  it('unknown fields and invalid values name the field', async () => {
    const body = await expectError(admin.request('/users', { method: 'POST', json: { login: 'ok', colour: 'red' } }), 400, 'VALIDATION_FAILED');
    expect(body.error.details.issues[0]).toBeDefined();
    const bad = await expectError(admin.request('/users', { method: 'POST', json: { login: 'has space' } }), 400, 'VALIDATION_FAILED');
    expect(bad.error.message).toContain('login');
  });

  it('oversized bodies', async () => {
    const big = JSON.stringify({ login: 'x', firstName: 'y'.repeat(MAX_JSON_BODY_BYTES) });
    await expectError(admin.request('/users', { method: 'POST', body: big, headers: { 'content-type': 'application/json' } }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('unknown ids', async () => {
    const id = crypto.randomUUID();
    await expectError(admin.request(`/users/${id}`), 404, 'USER_NOT_FOUND');
    await expectError(admin.request(`/tokens/${id}`), 404, 'TOKEN_NOT_FOUND');
    await expectError(admin.request(`/resources/${id}`), 404, 'RESOURCE_NOT_FOUND');
    await expectError(admin.request(`/offices/${id}`), 404, 'OFFICE_NOT_FOUND');
    await expectError(admin.request(`/users/not-a-uuid`), 400, 'VALIDATION_FAILED');
  });

  it('duplicate logins (case-insensitive) and serials change nothing', async () => {
    const login = unique('Dup');
    await admin.post('/users', { login });
    const before = await count('users');
    await expectError(admin.request('/users', { method: 'POST', json: { login: login.toLowerCase() } }), 409, 'LOGIN_TAKEN');
    expect(await count('users')).toBe(before);

    const serial = unique('SER');
    await admin.post('/tokens/hardware', { type: 'TOTP', serial, seed: randomSeedBase32() });
    const tokensBefore = await count('tokens');
    await expectError(admin.request('/tokens/hardware', { method: 'POST', json: { type: 'TOTP', serial: serial.toLowerCase(), seed: randomSeedBase32() } }), 409, 'SERIAL_TAKEN');
    expect(await count('tokens')).toBe(tokensBefore);
  });

  it('bad base32, wrong digits, unsupported OCRA suites', async () => {
    const before = await count('tokens');
    await expectError(admin.request('/tokens/hardware', { method: 'POST', json: { type: 'TOTP', serial: unique('B'), seed: 'NOT*BASE32!' } }), 400, 'INVALID_SECRET');
    await expectError(admin.request('/tokens/hardware', { method: 'POST', json: { type: 'TOTP', serial: unique('B'), seed: 'GEZDGNBV' } }), 400, 'INVALID_SECRET');
    await expectError(admin.request('/tokens/hardware', { method: 'POST', json: { type: 'TOTP', serial: unique('B'), seed: randomSeedBase32(), digits: 7 } }), 400, 'VALIDATION_FAILED');
    await expectError(admin.request('/tokens/hardware', { method: 'POST', json: { type: 'TOTP', serial: unique('B'), seed: randomSeedBase32(), periodSeconds: 45 } }), 400, 'VALIDATION_FAILED');
    await expectError(admin.request('/tokens/hardware', { method: 'POST', json: { type: 'OCRA', serial: unique('B'), seed: randomSeedBase32(), ocraSuite: 'OCRA-1:HOTP-MD5-6:QN08' } }), 400, 'UNSUPPORTED_OCRA_SUITE');
    await expectError(admin.request('/tokens/hardware', { method: 'POST', json: { type: 'OCRA', serial: unique('B'), seed: randomSeedBase32() } }), 400, 'UNSUPPORTED_OCRA_SUITE');
    expect(await count('tokens')).toBe(before);
  });

  it('a token of another user cannot be assigned "with" this user', async () => {
    const resource = await admin.post('/resources', { name: unique('R') });
    const owner = await admin.post('/users', { login: unique('o') });
    const other = await admin.post('/users', { login: unique('o') });
    const token = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('T'), seed: randomSeedBase32(), ownerUserId: owner.id });
    await expectError(admin.request(`/resources/${resource.id}/assignments`, { method: 'PUT', json: { userId: other.id, tokenId: token.id } }), 409, 'CONFLICT');
  });

  it('deleting a token demotes its assignments to plain "user" in the same batch', async () => {
    const resource = await admin.post('/resources', { name: unique('R') });
    const user = await admin.post('/users', { login: unique('o') });
    const token = await admin.post('/tokens/hardware', { type: 'HOTP', serial: unique('T'), seed: randomSeedBase32(), ownerUserId: user.id });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    expect((await admin.request(`/tokens/${token.id}`, { method: 'DELETE' })).status).toBe(204);
    const list = await admin.get(`/resources/${resource.id}/assignments`);
    expect(list.items).toMatchObject([{ kind: 'user', token: null }]);
  });

  it('two admins editing different fields of one resource at once both keep their change', async () => {
    // The lost update: each request wrote both fields from what it had read, so the later one put back the field the
    // other had just changed.
    const resource = await admin.post('/resources', { name: unique('res'), description: 'before' });
    const name = unique('renamed');
    const [renamed, described] = await Promise.all([
      admin.request(`/resources/${resource.id}`, { method: 'PATCH', json: { name } }),
      admin.request(`/resources/${resource.id}`, { method: 'PATCH', json: { description: 'after' } }),
    ]);
    expect([renamed.status, described.status]).toEqual([200, 200]);
    expect(await admin.get(`/resources/${resource.id}`)).toMatchObject({ name, description: 'after' });
  });

  it('lists page and search', async () => {
    const prefix = unique('page');
    for (let i = 0; i < 5; i++) await admin.post('/users', { login: `${prefix}${i}` });
    const page = await admin.get(`/users?search=${prefix}&page=2&pageSize=2`);
    expect(page).toMatchObject({ total: 5, page: 2, pageSize: 2 });
    expect(page.items.map((u: { login: string }) => u.login)).toEqual([`${prefix}2`, `${prefix}3`]);
    const wildcard = await admin.get(`/users?search=%25`);
    expect(wildcard.total).toBe(0); // "%" is searched literally, not as a wildcard
    // "_" too is a character, not LIKE's "any one character": "x_y" finds the login with it, not "xzy".
    const underscore = unique('under');
    await admin.post('/users', { login: `${underscore}x_y` });
    await admin.post('/users', { login: `${underscore}xzy` });
    const literal = await admin.get(`/users?search=${underscore}x_y`);
    expect(literal.items.map((u: { login: string }) => u.login)).toEqual([`${underscore}x_y`]);
  });

  it('stores seeds encrypted, never in clear', async () => {
    const seed = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    const token = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('E'), seed });
    const row = await env.DB.prepare('SELECT secret_encrypted FROM tokens WHERE id = ?').bind(token.id).first<{ secret_encrypted: string }>();
    expect(row!.secret_encrypted).toMatch(/^v2\./);
    expect(row!.secret_encrypted).not.toContain(seed);
    expect(row!.secret_encrypted).not.toContain('3132333435');
    expect(JSON.stringify(token)).not.toContain(seed);
  });
});

describe('resources list', async () => {
  const admin = await adminClient();

  it('counts the users assigned to each resource, in the list and on the resource', async () => {
    const name = unique('counted');
    const counted = await admin.post('/resources', { name });
    const empty = await admin.post('/resources', { name: `${name}-empty` });
    for (let i = 0; i < 3; i++) {
      const user = await admin.post('/users', { login: unique('member') });
      await admin.put(`/resources/${counted.id}/assignments`, { userId: user.id });
    }
    const list = await admin.get(`/resources?search=${name}`);
    expect(list.items.map((r: { name: string; userCount: number }) => [r.name, r.userCount])).toEqual([
      [name, 3],
      [`${name}-empty`, 0],
    ]);
    expect((await admin.get(`/resources/${counted.id}`)).userCount).toBe(3);
    expect((await admin.get(`/resources/${empty.id}`)).userCount).toBe(0);
  });
});
