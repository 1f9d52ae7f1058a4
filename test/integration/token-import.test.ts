/**
 * CSV token import: a valid file imports every token (seeds sealed, usable at once); a file with any bad row, a
 * duplicate serial or an existing serial imports nothing and lists every problem with its line.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminClient, hotpAt, json, totpAt, unique } from '../helpers/worker';

let admin: Awaited<ReturnType<typeof adminClient>>;
beforeAll(async () => {
  admin = await adminClient();
});

const RFC_SEED_HEX = '3132333435363738393031323334353637383930';
const RFC_SEED_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

async function importCsv(csv: string, dryRun = false) {
  return admin.request('/tokens/import/csv', { method: 'POST', json: { csv, dryRun } });
}

async function tokenCount() {
  return (await env.DB.prepare('SELECT count(*) AS n FROM tokens').first<{ n: number }>())!.n;
}

describe('POST /api/admin/tokens/import/csv', () => {
  it('imports HOTP and TOTP rows (hex and base32 seeds, quoted fields) that then verify', async () => {
    const hotpSerial = unique('HW-H-');
    const totpSerial = unique('HW-T-');
    const csv = `serial,seed,type,digits,counter,period,algorithm,description\n${hotpSerial},${RFC_SEED_HEX},hotp,6,5,,,"Vendor batch, box 1"\r\n${totpSerial},${RFC_SEED_BASE32},TOTP,8,,60,sha256,\n`;
    const preview = await json(await importCsv(csv, true));
    expect(preview).toMatchObject({ imported: 0, dryRun: true, tokens: [{ serial: hotpSerial, type: 'HOTP', counter: 5 }, { serial: totpSerial, type: 'TOTP', digits: 8, periodSeconds: 60, algorithm: 'SHA256' }] });
    expect((await admin.get(`/tokens?search=${hotpSerial}`)).items).toHaveLength(0);

    const result = await json(await importCsv(csv));
    expect(result.imported).toBe(2);
    const hotp = (await admin.get(`/tokens?search=${hotpSerial}`)).items[0];
    expect(hotp).toMatchObject({ kind: 'hardware', activated: true, counter: 5, description: 'Vendor batch, box 1' });
    // RFC 4226 counter 5 with the RFC seed: the imported seed is the real one.
    expect(await hotpAt(RFC_SEED_BASE32, 5)).toBe('254676');
    expect((await admin.post(`/tokens/${hotp.id}/check`, { otp: '254676' })).valid).toBe(true);
    const totp = (await admin.get(`/tokens?search=${totpSerial}`)).items[0];
    expect((await admin.post(`/tokens/${totp.id}/check`, { otp: await totpAt(RFC_SEED_BASE32, Date.now(), { algorithm: 'SHA256', digits: 8, periodSeconds: 60 }) })).valid).toBe(true);
    // Stored sealed, never in clear.
    const row = await env.DB.prepare('SELECT secret_encrypted FROM tokens WHERE id = ?').bind(hotp.id).first<{ secret_encrypted: string }>();
    expect(row!.secret_encrypted).not.toContain(RFC_SEED_HEX);
  });

  it('refuses the whole file when any row is bad, listing each problem with its line', async () => {
    const before = await tokenCount();
    const ok = unique('OK-');
    const response = await importCsv(`serial,seed,type,digits\n${ok},${RFC_SEED_HEX},totp,6\nbad serial!,zz,otp,7\n${ok},${RFC_SEED_HEX},totp,6\n`);
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error.code).toBe('INVALID_IMPORT');
    expect(body.error.details.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ line: 3, field: 'serial' }),
        expect.objectContaining({ line: 3, field: 'type' }),
        expect.objectContaining({ line: 3, field: 'seed' }),
        expect.objectContaining({ line: 3, field: 'digits' }),
        expect.objectContaining({ line: 4, field: 'serial', message: expect.stringContaining('line 2') }),
      ]),
    );
    expect(await tokenCount()).toBe(before);
  });

  it('refuses serials that already exist, importing nothing', async () => {
    const serial = unique('DUP-');
    await importCsv(`serial,seed,type\n${serial},${RFC_SEED_HEX},hotp\n`);
    const before = await tokenCount();
    const response = await importCsv(`serial,seed,type\n${unique('NEW-')},${RFC_SEED_HEX},hotp\n${serial.toLowerCase()},${RFC_SEED_HEX},hotp\n`);
    expect(response.status).toBe(409);
    expect((await json(response)).error.details.problems[0].message).toContain('already exists');
    expect(await tokenCount()).toBe(before);
  });

  it('refuses a bad header, an unclosed quote and an empty file with clear errors', async () => {
    for (const csv of ['serial,secret,type\nA,B,hotp\n', 'serial,seed,type\n"A,B,hotp\n', 'serial,seed,type\n']) {
      const response = await importCsv(csv);
      expect(response.status).toBe(400);
      expect((await json(response)).error.code).toBe('INVALID_IMPORT');
    }
  });
});
