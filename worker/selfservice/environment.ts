/**
 * Sign-in environment scoring (experimental, as the product labels it): each sign-in's environment, taken from the
 * request (Cloudflare's `cf` properties, the User-Agent, the IP prefix), is compared with the environments this user
 * usually signs in from. 100 means a known environment; low scores mean unfamiliar surroundings worth a look.
 */
import Bowser from 'bowser';
import { sha256Hex } from '../lib/crypto';

export interface SignInEnvironment {
  country: string | null;
  region: string | null;
  asn: number | null;
  timezone: string | null;
  tlsVersion: string | null;
  browser: string | null;
  os: string | null;
  ipPrefix: string | null;
}

/** How much each attribute says about "the same place and device"; they sum to 1. */
const WEIGHTS: Record<keyof SignInEnvironment, number> = {
  ipPrefix: 0.25,
  asn: 0.15,
  country: 0.15,
  region: 0.1,
  timezone: 0.1,
  browser: 0.1,
  os: 0.1,
  tlsVersion: 0.05,
};

export function environmentOf(request: Request, ip: string | null): SignInEnvironment {
  const cf = (request as Request & { cf?: IncomingRequestCfProperties }).cf;
  const agent = request.headers.get('user-agent') ?? '';
  const parsed = agent ? Bowser.getParser(agent) : null;
  return {
    country: (cf?.country as string | undefined) ?? null,
    region: cf?.region ?? null,
    asn: typeof cf?.asn === 'number' ? cf.asn : null,
    timezone: cf?.timezone ?? null,
    tlsVersion: cf?.tlsVersion ?? null,
    browser: parsed?.getBrowserName() || null,
    os: parsed?.getOSName() || null,
    ipPrefix: ip ? ipPrefixOf(ip) : null,
  };
}

/** /24 for IPv4 and /48 for IPv6: stable across a household's or office's changing addresses. */
export function ipPrefixOf(ip: string): string | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  if (ip.includes(':')) {
    const [head = ''] = ip.split('::');
    const groups = head.split(':').filter(Boolean);
    while (groups.length < 3) groups.push('0');
    return `${groups.slice(0, 3).join(':')}::/48`;
  }
  return null;
}

export function fingerprintOf(environment: SignInEnvironment): Promise<string> {
  const keys = Object.keys(WEIGHTS).sort() as Array<keyof SignInEnvironment>;
  return sha256Hex(JSON.stringify(keys.map((key) => environment[key])));
}

/**
 * 0-100: the best weighted match against the known environments, each weighted a little by how often it was used.
 * Null when the user has no history yet (nothing to compare with).
 */
export function scoreEnvironment(current: SignInEnvironment, known: Array<{ attributes: SignInEnvironment; signInCount: number }>): number | null {
  if (known.length === 0) return null;
  let best = 0;
  for (const candidate of known) {
    let similarity = 0;
    for (const [key, weight] of Object.entries(WEIGHTS) as Array<[keyof SignInEnvironment, number]>) {
      const a = current[key];
      const b = candidate.attributes[key];
      // Unknown on both sides is the same observation (e.g. a client that never sends a User-Agent).
      if (a === b) similarity += weight;
    }
    // An environment seen once is less trustworthy than one used for months: up to 10% off for a single sighting.
    const familiarity = Math.min(1, 0.9 + candidate.signInCount / 100);
    best = Math.max(best, similarity * familiarity);
  }
  return Math.round(best * 100);
}
