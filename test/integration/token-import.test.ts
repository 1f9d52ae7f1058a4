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

/** RFC 6030 Figure 2 (a plain-value HOTP key), with our serial. */
const plainPskc = (serial: string) => `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" Id="exampleID1" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage>
    <DeviceInfo><Manufacturer>Manufacturer</Manufacturer><SerialNo>${serial}</SerialNo></DeviceInfo>
    <CryptoModuleInfo><Id>CM_ID_001</Id></CryptoModuleInfo>
    <Key Id="12345678" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
      <Issuer>Issuer</Issuer>
      <AlgorithmParameters><ResponseFormat Length="8" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data>
        <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>
        <Counter><PlainValue>0</PlainValue></Counter>
      </Data>
    </Key>
  </KeyPackage>
</KeyContainer>`;

/** An RFC 6030 §6.1 file (pre-shared key, AES-128-CBC, HMAC-SHA1 ValueMAC), encrypted here with WebCrypto. */
async function encryptedPskc(serial: string, pskHex: string, seed: Uint8Array) {
  const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
  const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
  const aesEncrypt = async (plain: Uint8Array) => {
    const iv = crypto.getRandomValues(new Uint8Array(16));
    const key = await crypto.subtle.importKey('raw', hex(pskHex), { name: 'AES-CBC' }, false, ['encrypt']);
    return new Uint8Array([...iv, ...new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv }, key, new Uint8Array(plain)))]);
  };
  const macKey = crypto.getRandomValues(new Uint8Array(20));
  const secret = await aesEncrypt(seed);
  const hmac = await crypto.subtle.importKey('raw', macKey, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const valueMac = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, secret));
  return `<?xml version="1.0" encoding="UTF-8"?>
<pskc:KeyContainer xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Version="1.0">
  <pskc:EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></pskc:EncryptionKey>
  <pskc:MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">
    <pskc:MACKey>
      <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
      <xenc:CipherData><xenc:CipherValue>${b64(await aesEncrypt(macKey))}</xenc:CipherValue></xenc:CipherData>
    </pskc:MACKey>
  </pskc:MACMethod>
  <pskc:KeyPackage>
    <pskc:DeviceInfo><pskc:Manufacturer>Manufacturer</pskc:Manufacturer><pskc:SerialNo>${serial}</pskc:SerialNo></pskc:DeviceInfo>
    <pskc:Key Id="${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <pskc:AlgorithmParameters><pskc:ResponseFormat Length="6" Encoding="DECIMAL"/></pskc:AlgorithmParameters>
      <pskc:Data>
        <pskc:Secret>
          <pskc:EncryptedValue>
            <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
            <xenc:CipherData><xenc:CipherValue>${b64(secret)}</xenc:CipherValue></xenc:CipherData>
          </pskc:EncryptedValue>
          <pskc:ValueMAC>${b64(valueMac)}</pskc:ValueMAC>
        </pskc:Secret>
        <pskc:TimeInterval><pskc:PlainValue>30</pskc:PlainValue></pskc:TimeInterval>
      </pskc:Data>
    </pskc:Key>
  </pskc:KeyPackage>
</pskc:KeyContainer>`;
}

describe('POST /api/admin/tokens/import/pskc', () => {
  const PSK = '12345678901234567890123456789012';

  it('imports a plain-value HOTP key (RFC 6030 Figure 2) that then verifies', async () => {
    const serial = unique('PSKC-');
    const result = await admin.post('/tokens/import/pskc', { xml: plainPskc(serial) });
    expect(result).toMatchObject({ imported: 1, tokens: [{ serial, type: 'HOTP', digits: 8 }] });
    const token = (await admin.get(`/tokens?search=${serial}`)).items[0];
    // RFC 4226 counter 0, 8 digits: 84755224.
    expect((await admin.post(`/tokens/${token.id}/check`, { otp: '84755224' })).valid).toBe(true);
  });

  it('imports an encrypted TOTP key with the pre-shared key, and refuses the wrong key (MAC check)', async () => {
    const serial = unique('ENC-');
    const xml = await encryptedPskc(serial, PSK, new TextEncoder().encode('12345678901234567890'));
    const wrong = await admin.request('/tokens/import/pskc', { method: 'POST', json: { xml, preSharedKeyHex: 'ffffffffffffffffffffffffffffffff' } });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(await json(wrong))).toMatch(/pre-shared key|ValueMAC|decrypt/);
    const missing = await admin.request('/tokens/import/pskc', { method: 'POST', json: { xml } });
    expect((await json(missing)).error.message).toContain('pre-shared key');

    const result = await admin.post('/tokens/import/pskc', { xml, preSharedKeyHex: PSK });
    expect(result).toMatchObject({ imported: 1, tokens: [{ serial, type: 'TOTP', periodSeconds: 30 }] });
    const token = (await admin.get(`/tokens?search=${serial}`)).items[0];
    expect((await admin.post(`/tokens/${token.id}/check`, { otp: await totpAt(RFC_SEED_BASE32, Date.now()) })).valid).toBe(true);
  });

  it('refuses DOCTYPE / entity declarations before parsing (XXE, billion laughs)', async () => {
    const before = await tokenCount();
    const xml = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>${plainPskc(unique('X-')).replace(/^<\?xml[^>]*>/, '')}`;
    const response = await admin.request('/tokens/import/pskc', { method: 'POST', json: { xml } });
    expect(response.status).toBe(400);
    expect((await json(response)).error.message).toContain('DOCTYPE');
    expect(await tokenCount()).toBe(before);
  });

  it('refuses what is not a PSKC KeyContainer', async () => {
    const response = await admin.request('/tokens/import/pskc', { method: 'POST', json: { xml: '<html><body>hi</body></html>' } });
    expect((await json(response)).error.code).toBe('INVALID_IMPORT');
  });
});
