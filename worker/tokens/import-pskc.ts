/**
 * PSKC (RFC 6030) token import: KeyContainer / KeyPackage / Key for the HOTP and TOTP algorithms, with secrets as
 * PlainValue or encrypted with a pre-shared key (AES-128-CBC, integrity by HMAC-SHA1 ValueMAC, RFC 6030 §6.1).
 * DOCTYPEs, entities and processing instructions are refused before parsing (XXE and entity expansion).
 */
import { DOMParser, type Element } from '@xmldom/xmldom';
import { AppError } from '../errors';
import { base64ToBytes, hexToBytes, type Bytes } from '../lib/encoding';
import { timingSafeEqual } from '../lib/crypto';
import type { ImportedToken, ImportProblem } from './import-csv';
import { isValidTokenCounter, TOKEN_COUNTER_RULE } from './service';

const PSKC_NS = 'urn:ietf:params:xml:ns:keyprov:pskc';
const XENC_NS = 'http://www.w3.org/2001/04/xmlenc#';
const ALGORITHMS: Record<string, 'HOTP' | 'TOTP'> = {
  'urn:ietf:params:xml:ns:keyprov:pskc:hotp': 'HOTP',
  'urn:ietf:params:xml:ns:keyprov:pskc#hotp': 'HOTP',
  'urn:ietf:params:xml:ns:keyprov:pskc:totp': 'TOTP',
  'urn:ietf:params:xml:ns:keyprov:pskc#totp': 'TOTP',
};
const AES128_CBC = `${XENC_NS}aes128-cbc`;
const HMAC_SHA1 = 'http://www.w3.org/2000/09/xmldsig#hmac-sha1';

export async function readTokenPskc(xml: string, preSharedKeyHex?: string): Promise<ImportedToken[]> {
  if (/<!DOCTYPE|<!ENTITY|<\?(?!xml\s)[^>]*\?>/i.test(xml)) throw new AppError('INVALID_IMPORT', 'DOCTYPE declarations, entities and processing instructions are not accepted in PSKC files.');
  const errors: string[] = [];
  const document = new DOMParser({ onError: (level, message) => level !== 'warning' && errors.push(String(message)) }).parseFromString(xml, 'application/xml');
  const root = document.documentElement;
  if (errors.length || !root || root.localName !== 'KeyContainer' || root.namespaceURI !== PSKC_NS) {
    throw new AppError('INVALID_IMPORT', `Not a PSKC KeyContainer${errors.length ? `: ${errors[0]}` : ''}.`);
  }
  const psk = preSharedKeyHex ? decodeKey(preSharedKeyHex) : null;
  const macKey = await readMacKey(root, psk);
  const problems: ImportProblem[] = [];
  const tokens: ImportedToken[] = [];
  const packages = children(root, 'KeyPackage');
  if (packages.length === 0) throw new AppError('INVALID_IMPORT', 'The KeyContainer holds no KeyPackage.');
  for (const [index, keyPackage] of packages.entries()) {
    const where = { line: lineOf(keyPackage), field: `KeyPackage ${index + 1}` };
    try {
      const key = child(keyPackage, 'Key');
      if (!key) throw new Error('has no Key');
      const type = ALGORITHMS[key.getAttribute('Algorithm') ?? ''];
      if (!type) throw new Error(`has an unsupported Algorithm "${key.getAttribute('Algorithm') ?? ''}" (HOTP and TOTP are)`);
      const serial = text(child(child(keyPackage, 'DeviceInfo'), 'SerialNo')) || key.getAttribute('Id') || '';
      if (!/^[\w.:-]{1,64}$/.test(serial)) throw new Error(`has no usable serial (DeviceInfo/SerialNo or Key Id): "${serial}"`);
      const format = child(child(key, 'AlgorithmParameters'), 'ResponseFormat');
      const digits = Number(format?.getAttribute('Length') ?? 6);
      if (digits !== 6 && digits !== 8) throw new Error('must answer with 6 or 8 digits');
      if (format?.getAttribute('Encoding') && format.getAttribute('Encoding') !== 'DECIMAL') throw new Error('must use DECIMAL encoding');
      const data = child(key, 'Data');
      const seed = await readSecret(child(data, 'Secret'), psk, macKey);
      const counter = Number(text(child(child(data, 'Counter'), 'PlainValue')) || 0);
      const period = Number(text(child(child(data, 'TimeInterval'), 'PlainValue')) || 30);
      if (!isValidTokenCounter(counter)) throw new Error(`has a Counter that ${TOKEN_COUNTER_RULE}`);
      if (type === 'TOTP' && period !== 30 && period !== 60) throw new Error('must have a TimeInterval of 30 or 60 seconds');
      tokens.push({ serial, seed, type, digits, algorithm: 'SHA1', counter, periodSeconds: period, description: text(child(key, 'FriendlyName')).slice(0, 200) });
    } catch (error) {
      problems.push({ ...where, message: `${where.field} ${(error as Error).message}` });
    }
  }
  if (problems.length) throw new AppError('INVALID_IMPORT', `${problems.length} problem(s) in the file; nothing was imported.`, { problems });
  return tokens;
}

function decodeKey(hex: string): Bytes {
  const bytes = /^[0-9a-fA-F]{32}$/.test(hex.trim()) ? hexToBytes(hex.trim()) : null;
  if (!bytes) throw new AppError('INVALID_IMPORT', 'The pre-shared key must be 16 bytes in hex (AES-128).');
  return bytes;
}

/** The MAC key of §6.1: itself encrypted with the pre-shared key. */
async function readMacKey(root: Element, psk: Bytes | null): Promise<Bytes | null> {
  const method = child(root, 'MACMethod');
  if (!method) return null;
  if (method.getAttribute('Algorithm') !== HMAC_SHA1) throw new AppError('INVALID_IMPORT', 'Only the HMAC-SHA1 MACMethod is supported.');
  if (!psk) throw new AppError('INVALID_IMPORT', 'This file is encrypted: give the pre-shared key.');
  return decrypt(child(method, 'MACKey'), psk);
}

async function readSecret(secret: Element | null, psk: Bytes | null, macKey: Bytes | null): Promise<Bytes> {
  if (!secret) throw new Error('has no Secret');
  const plain = child(secret, 'PlainValue');
  if (plain) return base64ToBytes(text(plain));
  const encrypted = child(secret, 'EncryptedValue');
  if (!encrypted) throw new Error('has a Secret without PlainValue or EncryptedValue');
  if (!psk) throw new AppError('INVALID_IMPORT', 'This file is encrypted: give the pre-shared key.');
  const cipherValue = base64ToBytes(text(child(child(encrypted, 'CipherData', XENC_NS), 'CipherValue', XENC_NS)));
  // Integrity first: a wrong key or a tampered file must not yield a seed.
  const mac = text(child(secret, 'ValueMAC'));
  if (!macKey || !mac) throw new Error('has an encrypted Secret without ValueMAC');
  const hmacKey = await crypto.subtle.importKey('raw', macKey, { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const expected = new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, cipherValue));
  if (!timingSafeEqual(btoa(String.fromCharCode(...expected)), mac.replace(/\s+/g, ''))) throw new Error('fails its ValueMAC check (wrong pre-shared key or a modified file)');
  return decrypt(encrypted, psk);
}

/** xenc AES-128-CBC: the CipherValue is the IV followed by the ciphertext (PKCS#7 padded). */
async function decrypt(encrypted: Element | null, key: Bytes): Promise<Bytes> {
  if (!encrypted) throw new AppError('INVALID_IMPORT', 'An EncryptedValue is missing.');
  const method = child(encrypted, 'EncryptionMethod', XENC_NS)?.getAttribute('Algorithm');
  if (method !== AES128_CBC) throw new AppError('INVALID_IMPORT', 'Only AES-128-CBC encryption is supported.');
  const cipherValue = base64ToBytes(text(child(child(encrypted, 'CipherData', XENC_NS), 'CipherValue', XENC_NS)));
  if (cipherValue.length < 32 || cipherValue.length % 16 !== 0) throw new AppError('INVALID_IMPORT', 'An encrypted value has an invalid length.');
  const aes = await crypto.subtle.importKey('raw', key, { name: 'AES-CBC' }, false, ['decrypt']);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: cipherValue.slice(0, 16) }, aes, cipherValue.slice(16)));
  } catch {
    throw new AppError('INVALID_IMPORT', 'An encrypted value cannot be decrypted with this pre-shared key.');
  }
}

function children(parent: Element | null, name: string, ns = PSKC_NS): Element[] {
  if (!parent) return [];
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === name && (node as Element).namespaceURI === ns) found.push(node as Element);
  }
  return found;
}

function child(parent: Element | null | undefined, name: string, ns = PSKC_NS): Element | null {
  return children(parent ?? null, name, ns)[0] ?? null;
}

function text(element: Element | null): string {
  return (element?.textContent ?? '').trim();
}

function lineOf(element: Element): number {
  return element.lineNumber ?? 0;
}
