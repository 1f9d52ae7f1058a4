/**
 * Where the Worker may send a request that carries credentials (SMS/email providers): https to a public host.
 * Refused, in every literal form: loopback, private, link-local, shared (CGNAT 100.64/10), cloud metadata,
 * multicast and reserved addresses, IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4),
 * `localhost` and other names that only resolve inside a network. Local development and the tests may allow
 * loopback (http or https to 127.0.0.0/8, ::1, localhost): private ranges stay refused even then.
 *
 * The WHATWG URL parser already rewrites IPv4 spellings (0x7f000001, 2130706433, 0177.0.0.1, 127.1,
 * %31%32%37.0.0.1) to a dotted quad and IPv6 to its compressed form; the checks below do not rely on that
 * alone: a host that ends in a number but is not a dotted quad is refused as well.
 *
 * What this cannot see: a public name whose DNS answer is a private address. Workers have no resolver, and
 * Cloudflare's edge does not route requests into private networks.
 */

export interface OutboundPolicy {
  /** Local development and tests only (ALLOW_INSECURE_PROVIDER_URLS): loopback hosts, over http too. */
  allowLoopback: boolean;
}

export type OutboundUrlProblemCode = 'PROVIDER_URL_INVALID' | 'PROVIDER_URL_NOT_HTTPS' | 'PROVIDER_URL_CREDENTIALS' | 'PROVIDER_URL_FORBIDDEN';

export interface OutboundUrlProblem {
  code: OutboundUrlProblemCode;
  message: string;
}

export type HostKind = 'public' | 'loopback' | 'private' | 'link-local' | 'shared' | 'metadata' | 'multicast' | 'reserved' | 'local-name';

const DESCRIPTIONS: Record<Exclude<HostKind, 'public'>, string> = {
  loopback: 'a loopback address',
  private: 'a private network address',
  'link-local': 'a link-local address',
  shared: 'a shared (carrier-grade NAT) address',
  metadata: 'a cloud metadata address',
  multicast: 'a multicast address',
  reserved: 'a reserved or special-purpose address',
  'local-name': 'a name that only resolves inside a network',
};

export function outboundUrlProblem(raw: string, policy: OutboundPolicy): OutboundUrlProblem | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { code: 'PROVIDER_URL_INVALID', message: `"${raw.slice(0, 100)}" is not a URL` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { code: 'PROVIDER_URL_NOT_HTTPS', message: 'the URL must start with https://' };
  if (url.username || url.password) return { code: 'PROVIDER_URL_CREDENTIALS', message: 'credentials do not belong in the URL; use the credential fields' };
  const kind = classifyHost(url.hostname);
  const loopbackAllowed = kind === 'loopback' && policy.allowLoopback;
  if (kind !== 'public' && !loopbackAllowed) {
    return { code: 'PROVIDER_URL_FORBIDDEN', message: `the host ${url.hostname} is ${DESCRIPTIONS[kind]}: provider URLs must name a public host` };
  }
  if (url.protocol !== 'https:' && !loopbackAllowed) return { code: 'PROVIDER_URL_NOT_HTTPS', message: 'the URL must start with https://' };
  return null;
}

/** `hostname` as URL.hostname gives it: lower case, IPv6 in brackets. */
export function classifyHost(hostname: string): HostKind {
  if (hostname.startsWith('[')) {
    const pieces = parseIpv6(hostname.slice(1, -1));
    return pieces ? classifyIpv6(pieces) : 'reserved';
  }
  const name = hostname.toLowerCase().replace(/\.$/, '');
  const labels = name.split('.');
  // WHATWG treats a host whose last label is a number as IPv4; anything of that shape that is not a plain
  // dotted quad here was not normalised, and is refused rather than guessed at.
  if (/^(\d+|0x[0-9a-f]*)$/.test(labels.at(-1) ?? '')) {
    const octets = labels.length === 4 && labels.every((label) => /^(0|[1-9]\d{0,2})$/.test(label)) ? labels.map(Number) : null;
    if (!octets || octets.some((octet) => octet > 255)) return 'reserved';
    return classifyIpv4(((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0);
  }
  if (name === 'localhost' || name.endsWith('.localhost')) return 'loopback';
  // Single labels ("intranet") and the names reserved for private use never name a provider's public API.
  if (labels.length < 2 || LOCAL_SUFFIXES.some((suffix) => name.endsWith(suffix))) return 'local-name';
  return 'public';
}

const LOCAL_SUFFIXES = ['.local', '.internal', '.intranet', '.lan', '.home', '.home.arpa', '.localdomain', '.corp', '.private'];

// ---------------------------------------------------------------- IPv4

type Ipv4Range = [base: string, prefixLength: number, kind: Exclude<HostKind, 'public' | 'local-name'>];

/** Most specific first. IANA IPv4 Special-Purpose Address Registry, plus the metadata services of large clouds. */
const IPV4_RANGES: Ipv4Range[] = [
  ['169.254.169.254', 32, 'metadata'], // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
  ['169.254.170.2', 32, 'metadata'], // AWS ECS task metadata
  ['100.100.100.200', 32, 'metadata'], // Alibaba Cloud
  ['168.63.129.16', 32, 'metadata'], // Azure WireServer (a public address, reachable only from Azure VMs)
  ['0.0.0.0', 8, 'reserved'], // "this network"; 0.0.0.0 reaches the local host on many systems
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes 255.255.255.255
];

const IPV4_TABLE = IPV4_RANGES.map(([base, prefixLength, kind]) => {
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  const value = base.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  return { value: (value & mask) >>> 0, mask, kind };
});

export function classifyIpv4(address: number): HostKind {
  for (const range of IPV4_TABLE) if (((address & range.mask) >>> 0) === range.value) return range.kind;
  return 'public';
}

// ---------------------------------------------------------------- IPv6

/** Eight 16-bit pieces, or null. Accepts the compressed form and a trailing dotted IPv4 (::ffff:127.0.0.1). */
export function parseIpv6(text: string): number[] | null {
  let body = text.toLowerCase();
  if (body.includes('%')) return null; // zone ids are link-local by definition, and URL hosts cannot carry them
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (dotted) {
    const octets = dotted[2]!.split('.').map(Number);
    if (octets.some((octet) => octet > 255)) return null;
    tail.push((octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!);
    body = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((piece) => (/^[0-9a-f]{1,4}$/.test(piece) ? parseInt(piece, 16) : NaN)));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const given = head.length + rest.length + tail.length;
  if ([...head, ...rest].some(Number.isNaN)) return null;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  return [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
}

export function classifyIpv6(p: number[]): HostKind {
  const embeddedIpv4 = (high: number, low: number) => embedded(((high << 16) | low) >>> 0);
  const zeroPrefix = (count: number) => p.slice(0, count).every((piece) => piece === 0);
  if (zeroPrefix(7) && p[7] === 1) return 'loopback';
  if (zeroPrefix(8)) return 'reserved';
  if (zeroPrefix(5) && p[5] === 0xffff) return embeddedIpv4(p[6]!, p[7]!); // IPv4-mapped ::ffff:0:0/96
  if (zeroPrefix(6)) return embeddedIpv4(p[6]!, p[7]!); // IPv4-compatible ::/96 (deprecated)
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) return embeddedIpv4(p[6]!, p[7]!); // NAT64
  if (p[0] === 0x2002) return embeddedIpv4(p[1]!, p[2]!); // 6to4
  if (p[0] === 0xfd00 && p[1] === 0x0ec2 && p.slice(2, 7).every((piece) => piece === 0) && p[7] === 0x254) return 'metadata'; // AWS IMDS over IPv6
  if ((p[0]! & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  if ((p[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((p[0]! & 0xffc0) === 0xfec0) return 'private'; // site-local (deprecated)
  if ((p[0]! & 0xff00) === 0xff00) return 'multicast';
  // Only global unicast 2000::/3 is public; within it, the IETF protocol block (Teredo included) and documentation.
  if ((p[0]! & 0xe000) !== 0x2000) return 'reserved';
  if (p[0] === 0x2001 && p[1]! < 0x0200) return 'reserved';
  if (p[0] === 0x2001 && p[1] === 0x0db8) return 'reserved';
  if (p[0] === 0x3fff && p[1]! < 0x1000) return 'reserved'; // documentation 3fff::/20
  return 'public';
}

/** An IPv4 address inside an IPv6 one is judged by what it points at; a public one should be written as IPv4. */
function embedded(address: number): HostKind {
  const kind = classifyIpv4(address);
  return kind === 'public' ? 'reserved' : kind;
}

/** The origin of a provider URL (scheme, host, port), or null when it is not a URL. */
export function originOf(raw: string): string | null {
  try {
    return new URL(raw).origin;
  } catch {
    return null;
  }
}
