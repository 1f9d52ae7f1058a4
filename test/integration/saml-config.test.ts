/** The SAML YAML configuration: validation positions, certificate check, documentation and JSON Schema in step. */
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { checkCertificate } from '../../worker/saml/certificate';
import { configJsonSchema, describeConfigKeys, samlConfigSchema, validateConfigYaml } from '../../worker/saml/config';
import { parseIdpMetadata } from '../../worker/saml/metadata-import';
import { samlYaml } from '../setup/saml-test-support';

const lineOf = (yaml: string, needle: string) => yaml.split('\n').findIndex((line) => line.includes(needle)) + 1;

describe('SAML configuration validation', () => {
  it('accepts a complete configuration and normalises version and certificate', () => {
    const pem = `-----BEGIN CERTIFICATE-----\n${inject('samlIdpCertificate').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----`;
    const yaml = samlYaml().replace('version: "1.0"', 'version: 1.0').replace(/certificate: .*/, `certificate: |\n    ${pem.split('\n').join('\n    ')}`);
    const result = validateConfigYaml(yaml);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.file.version).toBe('1.0');
    expect(result.file.config.certificate).toBe(inject('samlIdpCertificate'));
    expect(result.file.config.allowIdpInitiated).toBe(false);
  });

  it('reports each problem at its line', () => {
    const yaml = samlYaml()
      .replace(/certificate: .*/, 'certificate: bm90IGEgY2VydGlmaWNhdGU=')
      .replace('version: "1.0"', 'version: "2.0"')
      .replace('allowIdpInitiated: false', 'allowIdpInitiated: maybe');
    const result = validateConfigYaml(`${yaml}extra: 1\n`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const at = Object.fromEntries(result.errors.map((e) => [e.path, e]));
    expect(at['version']!.line).toBe(1);
    expect(at['config.certificate']).toMatchObject({ line: lineOf(yaml, 'certificate:'), message: expect.stringMatching(/X\.509/) });
    expect(at['config.allowIdpInitiated']!.line).toBe(lineOf(yaml, 'allowIdpInitiated'));
    expect(at['extra']).toMatchObject({ line: yaml.split('\n').length, message: 'Unknown key "extra".' });
  });

  it('reports YAML syntax errors and refuses aliases', () => {
    const broken = validateConfigYaml('version: "1.0"\nconfig:\n  entityId: [unclosed\n');
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.errors[0]!.line).toBeGreaterThanOrEqual(3);
    const aliased = validateConfigYaml(`${samlYaml().replace(/claimFirstName: .*/, 'claimFirstName: &a x').replace(/claimLastName: .*/, 'claimLastName: *a')}`);
    expect(aliased.ok).toBe(false);
    expect(validateConfigYaml('config: {}\n').ok).toBe(false);
    expect(validateConfigYaml('').ok).toBe(false);
  });

  it('allows http only for loopback IdPs', () => {
    expect(validateConfigYaml(samlYaml().replace(/singleSignOnServiceUrl: .*/, 'singleSignOnServiceUrl: http://127.0.0.1:8080/sso')).ok).toBe(true);
    expect(validateConfigYaml(samlYaml().replace(/singleSignOnServiceUrl: .*/, 'singleSignOnServiceUrl: http://idp.example.com/sso')).ok).toBe(false);
    expect(validateConfigYaml(samlYaml().replace(/singleSignOnServiceUrl: .*/, 'singleSignOnServiceUrl: javascript:alert(1)')).ok).toBe(false);
  });

  it('documents every key, and the JSON Schema has the same keys as the validator', () => {
    const docs = describeConfigKeys();
    const schema = configJsonSchema() as any;
    const zodKeys = Object.keys(samlConfigSchema.shape.config.shape).sort();
    expect(Object.keys(schema.properties.config.properties).sort()).toEqual(zodKeys);
    expect(Object.keys(docs).filter((k) => k.startsWith('config.')).map((k) => k.slice(7)).sort()).toEqual(zodKeys);
    for (const doc of Object.values(docs)) expect(doc.description.length).toBeGreaterThan(20);
  });

  it('checks certificates structurally and reads their validity', () => {
    const checked = checkCertificate(inject('samlIdpCertificate'));
    expect(checked.ok).toBe(true);
    if (checked.ok) expect(checked.notAfterMs! - checked.notBeforeMs!).toBeGreaterThan(3000 * 24 * 3600 * 1000);
    expect(checkCertificate('AAAA').ok).toBe(false);
    expect(checkCertificate('not base64!').ok).toBe(false);
  });

  it('metadata import refuses documents without an IdP or a signing certificate', () => {
    expect(() => parseIdpMetadata('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:SPSSODescriptor/></md:EntityDescriptor>')).toThrow(/identity provider/);
    expect(() =>
      parseIdpMetadata(
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>',
      ),
    ).toThrow(/signing certificate/);
    expect(() => parseIdpMetadata('<?php echo 1; ?><x/>')).toThrow(/DOCTYPE|processing/);
  });
});
