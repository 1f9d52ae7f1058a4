/**
 * The HTTP-Redirect binding's SAMLRequest: raw DEFLATE by workerd's CompressionStream('deflate-raw'), read back by an
 * independent decoder (node:zlib), so an IdP's inflate sees exactly the AuthnRequest we built.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildAuthnRequest, newRequestId, redirectBindingUrl } from '../../../../worker/saml/sp-messages';
import { inflateRaw } from '../../../setup/saml-test-support';

describe('redirectBindingUrl', () => {
  it('carries the AuthnRequest as raw DEFLATE, Base64, beside the query the SSO URL already has', async () => {
    const xml = buildAuthnRequest({
      requestId: newRequestId(),
      nowMs: Date.UTC(2026, 0, 2, 3, 4, 5),
      spEntityId: 'https://id.example.test/saml/metadata',
      acsUrl: 'https://id.example.test/saml/acs',
      destination: 'https://idp.example.test/sso',
    });
    const url = new URL(await redirectBindingUrl('https://idp.example.test/sso?tenant=a&x=1', xml, '/portal?tab=2'));
    expect([...url.searchParams.keys()]).toEqual(['tenant', 'x', 'SAMLRequest', 'RelayState']);
    expect(url.searchParams.get('RelayState')).toBe('/portal?tab=2');
    const deflated = Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64');
    // A zlib stream would start with 0x78; the binding wants the bare RFC 1951 stream.
    expect(deflated[0]).not.toBe(0x78);
    expect(inflateRawSync(deflated).toString('utf8')).toBe(xml);
    expect(deflated.byteLength).toBeLessThan(new TextEncoder().encode(xml).byteLength);
  });

  it('adds no RelayState when there is none', async () => {
    const url = new URL(await redirectBindingUrl('https://idp.example.test/sso', '<x/>', null));
    expect(url.searchParams.has('RelayState')).toBe(false);
    expect(inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8')).toBe('<x/>');
  });
});

describe("the tests' inflateRaw", () => {
  it('reads a stream back and stops a DEFLATE bomb at its cap', async () => {
    expect(new TextDecoder().decode(await inflateRaw(deflateRawSync('hello'), 16))).toBe('hello');
    // 8 MiB of zeros deflate to about 8 KB: inflating it whole is what the cap prevents.
    const bomb = deflateRawSync(Buffer.alloc(8 * 1024 * 1024));
    expect(bomb.byteLength).toBeLessThan(16 * 1024);
    await expect(inflateRaw(bomb, 64 * 1024)).rejects.toThrow(/inflated past 65536 bytes/);
  });
});
