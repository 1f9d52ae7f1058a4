/**
 * A WebAuthn authenticator in software, for tests inside workerd that must run whole ceremonies through the routes:
 * the server hands out a fresh random challenge each time, which recorded fixtures cannot answer. It makes what a
 * platform authenticator makes (a P-256 key per credential, "none" attestation, authenticator data with the RP ID
 * hash, flags and signature counter, an ECDSA signature over authenticator data and the client data hash), and the
 * server checks it with the real verifier; nothing on the server side is replaced. The browser's own virtual
 * authenticator is driven by the browser tests (test/e2e/).
 */
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_BACKUP_ELIGIBLE = 0x08;
const FLAG_BACKUP_STATE = 0x10;
const FLAG_ATTESTED_CREDENTIAL = 0x40;
const COSE_ES256 = -7;

export interface SoftwareCredential {
  id: string;
  rpId: string;
  userHandle: string;
  keyPair: CryptoKeyPair;
  signCount: number;
}

export interface AuthenticatorSettings {
  /** The page origin the browser puts into the client data. */
  origin: string;
  /** Whether the authenticator verifies the user (PIN, biometrics). */
  userVerified: boolean;
}

type Bytes = Uint8Array<ArrayBuffer>;

const text = (value: string): Bytes => new TextEncoder().encode(value);
const sha256 = async (bytes: Bytes): Promise<Bytes> => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
const concat = (...parts: Uint8Array[]): Bytes => {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};
const uint32 = (value: number) => new Uint8Array([(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]);

/** WebCrypto signs ECDSA as r||s; WebAuthn carries the ASN.1 DER form. */
function derSignature(raw: Uint8Array): Bytes {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.slice(start);
    const body = trimmed[0]! & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed;
    return concat(new Uint8Array([0x02, body.length]), body);
  };
  const sequence = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return concat(new Uint8Array([0x30, sequence.length]), sequence);
}

async function coseKeyOf(publicKey: CryptoKey): Promise<Uint8Array> {
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
  return isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, COSE_ES256],
      [-1, 1], // crv: P-256
      [-2, raw.slice(1, 33)],
      [-3, raw.slice(33, 65)],
    ]),
  );
}

export function softwareAuthenticator(settings: Partial<AuthenticatorSettings> = {}) {
  const config: AuthenticatorSettings = { origin: 'https://id.example.test', userVerified: true, ...settings };
  const credentials: SoftwareCredential[] = [];
  const flags = (extra: number) => FLAG_USER_PRESENT | (config.userVerified ? FLAG_USER_VERIFIED : 0) | FLAG_BACKUP_ELIGIBLE | FLAG_BACKUP_STATE | extra;
  const clientData = (type: 'webauthn.create' | 'webauthn.get', challenge: string) =>
    text(JSON.stringify({ type, challenge, origin: config.origin, crossOrigin: false }));

  return {
    credentials,
    /** Answers navigator.credentials.create() with a new credential for the options' RP and user. */
    async register(options: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON> {
      const rpId = options.rp.id!;
      const keyPair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
      const rawId = crypto.getRandomValues(new Uint8Array(16));
      const aaguid = new Uint8Array(16);
      const authData = concat(
        await sha256(text(rpId)),
        new Uint8Array([flags(FLAG_ATTESTED_CREDENTIAL)]),
        uint32(0),
        aaguid,
        new Uint8Array([rawId.length >> 8, rawId.length & 255]),
        rawId,
        await coseKeyOf(keyPair.publicKey),
      );
      const attestationObject = isoCBOR.encode(
        new Map<string, string | Uint8Array | Map<string, string>>([
          ['fmt', 'none'],
          ['attStmt', new Map<string, string>()],
          ['authData', authData],
        ]),
      );
      const id = isoBase64URL.fromBuffer(rawId);
      credentials.push({ id, rpId, userHandle: options.user.id, keyPair, signCount: 0 });
      return {
        id,
        rawId: id,
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
        response: {
          clientDataJSON: isoBase64URL.fromBuffer(clientData('webauthn.create', options.challenge)),
          attestationObject: isoBase64URL.fromBuffer(attestationObject),
          transports: ['internal'],
          publicKeyAlgorithm: COSE_ES256,
        },
      };
    },
    /**
     * Answers navigator.credentials.get(): with a credential the options allow (any of this RP's when they name
     * none), or the one given. Each use counts its signature counter up, as authenticators do.
     */
    async authenticate(options: PublicKeyCredentialRequestOptionsJSON, use?: SoftwareCredential): Promise<AuthenticationResponseJSON> {
      const allowed = options.allowCredentials?.map((credential) => credential.id) ?? [];
      const credential =
        use ?? credentials.find((candidate) => candidate.rpId === options.rpId && (allowed.length === 0 || allowed.includes(candidate.id)));
      if (!credential) throw new Error('the authenticator holds no credential these options allow');
      credential.signCount += 1;
      const authData = concat(await sha256(text(options.rpId!)), new Uint8Array([flags(0)]), uint32(credential.signCount));
      const clientDataJSON = clientData('webauthn.get', options.challenge);
      const raw = new Uint8Array(
        await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, credential.keyPair.privateKey, concat(authData, await sha256(clientDataJSON))),
      );
      return {
        id: credential.id,
        rawId: credential.id,
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
        response: {
          clientDataJSON: isoBase64URL.fromBuffer(clientDataJSON),
          authenticatorData: isoBase64URL.fromBuffer(authData),
          signature: isoBase64URL.fromBuffer(derSignature(raw)),
          userHandle: credential.userHandle,
        },
      };
    },
  };
}

export type SoftwareAuthenticator = ReturnType<typeof softwareAuthenticator>;
