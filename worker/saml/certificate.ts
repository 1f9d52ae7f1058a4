/**
 * The IdP's signing certificate as an administrator pastes it: Base64 DER, with or without PEM armour and line
 * breaks. A small DER walk proves it is an X.509 certificate (and reads its validity dates for the admin page)
 * before it is stored; xml-crypto later uses it as the only key that may sign a response.
 */

export type CertificateCheck =
  | { ok: true; base64: string; pem: string; notBeforeMs: number | null; notAfterMs: number | null }
  | { ok: false; message: string };

const PEM_ARMOUR = /-----(BEGIN|END) CERTIFICATE-----/g;

/** Normalises to one line of Base64 and checks the DER structure. */
export function checkCertificate(input: string): CertificateCheck {
  const base64 = input.replace(PEM_ARMOUR, '').replace(/\s+/g, '');
  if (base64.length === 0) return { ok: false, message: 'The certificate is empty.' };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return { ok: false, message: 'The certificate is not Base64.' };
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  } catch {
    return { ok: false, message: 'The certificate is not Base64.' };
  }
  const validity = readCertificateValidity(der);
  if (!validity) return { ok: false, message: 'The certificate is not an X.509 certificate (Base64 of its DER encoding).' };
  return { ok: true, base64, pem: pemOf(base64), ...validity };
}

export function pemOf(base64: string): string {
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

interface Tlv {
  tag: number;
  start: number;
  end: number;
  next: number;
}

function readTlv(der: Uint8Array, offset: number, limit: number): Tlv | null {
  if (offset + 2 > limit) return null;
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    // Indefinite lengths are not DER; more than 4 length bytes is no certificate we accept.
    if (count === 0 || count > 4 || start + count > limit) return null;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > limit) return null;
  return { tag, start, end, next: end };
}

/**
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 * TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER, signature, issuer, validity, subject, subjectPublicKeyInfo, ... }
 */
function readCertificateValidity(der: Uint8Array): { notBeforeMs: number | null; notAfterMs: number | null } | null {
  const outer = readTlv(der, 0, der.length);
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return null;
  const tbs = readTlv(der, outer.start, outer.end);
  if (!tbs || tbs.tag !== 0x30) return null;
  const algorithm = readTlv(der, tbs.next, outer.end);
  if (!algorithm || algorithm.tag !== 0x30) return null;
  const signature = readTlv(der, algorithm.next, outer.end);
  if (!signature || signature.tag !== 0x03 || signature.next !== outer.end) return null;

  let field = readTlv(der, tbs.start, tbs.end);
  if (field && field.tag === 0xa0) field = readTlv(der, field.next, tbs.end);
  if (!field || field.tag !== 0x02) return null; // serialNumber
  const sigAlg = readTlv(der, field.next, tbs.end);
  if (!sigAlg || sigAlg.tag !== 0x30) return null;
  const issuer = readTlv(der, sigAlg.next, tbs.end);
  if (!issuer || issuer.tag !== 0x30) return null;
  const validity = readTlv(der, issuer.next, tbs.end);
  if (!validity || validity.tag !== 0x30) return null;
  const subject = readTlv(der, validity.next, tbs.end);
  if (!subject || subject.tag !== 0x30) return null;
  const publicKeyInfo = readTlv(der, subject.next, tbs.end);
  if (!publicKeyInfo || publicKeyInfo.tag !== 0x30) return null;

  const notBefore = readTlv(der, validity.start, validity.end);
  const notAfter = notBefore ? readTlv(der, notBefore.next, validity.end) : null;
  return { notBeforeMs: notBefore ? readTime(der, notBefore) : null, notAfterMs: notAfter ? readTime(der, notAfter) : null };
}

function readTime(der: Uint8Array, tlv: Tlv): number | null {
  const text = new TextDecoder().decode(der.subarray(tlv.start, tlv.end));
  // UTCTime YYMMDDHHMMSSZ (years 50-99 are 19xx, RFC 5280 §4.1.2.5.1) or GeneralizedTime YYYYMMDDHHMMSSZ.
  const match = tlv.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : tlv.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (!match) return null;
  let year = Number(match[1]);
  if (tlv.tag === 0x17) year += year >= 50 ? 1900 : 2000;
  return Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6]));
}
