/**
 * A minimal RADIUS client (RFC 2865 Access-Request with User-Name and User-Password) that keeps a fixed number of
 * requests in flight and records each one's latency. radclient gives the throughput figure; it reports no
 * latencies, so this client measures them at the same concurrency.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

export interface RadiusRequest {
  userName: string;
  password: string;
}

export interface RadiusLoadResult {
  requests: number;
  accepted: number;
  rejected: number;
  lost: number;
  durationMs: number;
  latenciesUs: number[];
}

const ACCESS_REQUEST = 1;
const ACCESS_ACCEPT = 2;

/** RFC 2865 §5.2: the password, padded to 16 bytes, XORed with MD5(secret + authenticator) chained per block. */
function hidePassword(password: string, secret: string, authenticator: Buffer): Buffer {
  const plain = Buffer.from(password, 'utf8');
  const padded = Buffer.alloc(Math.max(16, Math.ceil(plain.length / 16) * 16));
  plain.copy(padded);
  const out = Buffer.alloc(padded.length);
  let previous = authenticator;
  for (let block = 0; block < padded.length; block += 16) {
    const mask = createHash('md5').update(secret).update(previous).digest();
    for (let i = 0; i < 16; i++) out[block + i] = padded[block + i]! ^ mask[i]!;
    previous = out.subarray(block, block + 16);
  }
  return out;
}

export function encodeAccessRequest(id: number, request: RadiusRequest, secret: string): Buffer {
  const authenticator = randomBytes(16);
  const userName = Buffer.from(request.userName, 'utf8');
  const password = hidePassword(request.password, secret, authenticator);
  const attributes = Buffer.concat([Buffer.from([1, userName.length + 2]), userName, Buffer.from([2, password.length + 2]), password]);
  const header = Buffer.alloc(20);
  header[0] = ACCESS_REQUEST;
  header[1] = id;
  header.writeUInt16BE(20 + attributes.length, 2);
  authenticator.copy(header, 4);
  return Buffer.concat([header, attributes]);
}

/**
 * Sends requests (cycling through `requests`) with `concurrency` in flight until `durationMs` has passed or
 * `maxRequests` were answered. An answer not back within `timeoutMs` counts as lost.
 */
export function runRadiusLoad(options: {
  host: string;
  port: number;
  secret: string;
  requests: RadiusRequest[];
  concurrency: number;
  durationMs: number;
  maxRequests?: number;
  timeoutMs?: number;
}): Promise<RadiusLoadResult> {
  const socket = createSocket('udp4');
  const timeoutMs = options.timeoutMs ?? 2000;
  const inFlight = new Map<number, { sentNs: bigint; timer: NodeJS.Timeout }>();
  const freeIds = Array.from({ length: 256 }, (_, i) => i);
  const result: RadiusLoadResult = { requests: 0, accepted: 0, rejected: 0, lost: 0, durationMs: 0, latenciesUs: [] };
  let next = 0;
  const started = process.hrtime.bigint();
  const deadlineNs = started + BigInt(options.durationMs) * 1_000_000n;

  return new Promise((resolveLoad, reject) => {
    let finished = false;
    const finishIfDone = () => {
      if (finished || inFlight.size > 0) return;
      finished = true;
      result.durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      socket.close();
      resolveLoad(result);
    };
    const sendOne = () => {
      const stop = process.hrtime.bigint() >= deadlineNs || (options.maxRequests !== undefined && result.requests >= options.maxRequests);
      if (stop || freeIds.length === 0) return finishIfDone();
      const id = freeIds.shift()!;
      const request = options.requests[next++ % options.requests.length]!;
      const timer = setTimeout(() => {
        inFlight.delete(id);
        freeIds.push(id);
        result.lost++;
        sendOne();
      }, timeoutMs);
      inFlight.set(id, { sentNs: process.hrtime.bigint(), timer });
      result.requests++;
      socket.send(encodeAccessRequest(id, request, options.secret), options.port, options.host);
    };
    socket.on('error', reject);
    socket.on('message', (message) => {
      const id = message[1]!;
      const entry = inFlight.get(id);
      if (!entry) return;
      clearTimeout(entry.timer);
      inFlight.delete(id);
      freeIds.push(id);
      result.latenciesUs.push(Number(process.hrtime.bigint() - entry.sentNs) / 1000);
      if (message[0] === ACCESS_ACCEPT) result.accepted++;
      else result.rejected++;
      sendOne();
    });
    socket.bind(0, '127.0.0.1', () => {
      for (let i = 0; i < options.concurrency; i++) sendOne();
    });
  });
}

export function percentile(sortedValues: number[], p: number): number {
  if (sortedValues.length === 0) return NaN;
  const index = Math.min(sortedValues.length - 1, Math.max(0, Math.ceil((p / 100) * sortedValues.length) - 1));
  return sortedValues[index]!;
}
