/**
 * The SAML configuration checker points at the line the admin has to change, and the editor's JSON Schema is the
 * validator's own rule (generated from it), so the editor and the server agree on what is valid.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CONFIG_TEMPLATE, configJsonSchema, describeConfigKeys, samlConfigSchema, validateConfigYaml } from '../../worker/saml/config';
import { adminClient } from '../helpers/worker';
import { samlYaml } from '../setup/saml-test-support';

const lineOf = (yaml: string, needle: string) => yaml.split('\n').findIndex((line) => line.includes(needle)) + 1;

function errorsOf(yaml: string) {
  const result = validateConfigYaml(yaml);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.errors;
}

describe('SAML configuration problem positions', () => {
  it('an unterminated quote or flow list is reported where it was opened, not where the parser gave up', () => {
    const quoted = samlYaml().replace(/claimFirstName: (.*)/, 'claimFirstName: "$1');
    expect(errorsOf(quoted)[0]).toMatchObject({ line: lineOf(quoted, 'claimFirstName'), column: 19 });
    const single = samlYaml().replace(/claimLastName: (.*)/, "claimLastName: '$1");
    expect(errorsOf(single)[0]!.line).toBe(lineOf(single, 'claimLastName'));
    const flow = samlYaml().replace(/claimLastName: (.*)/, 'claimLastName: [$1');
    expect(errorsOf(flow)[0]!.line).toBe(lineOf(flow, 'claimLastName'));
  });

  it('a wrong value is reported at its value as wrong, not as missing; a missing key at its parent', () => {
    const wrong = samlYaml().replace('allowIdpInitiated: false', 'allowIdpInitiated: maybe');
    const [problem] = errorsOf(wrong);
    expect(problem).toMatchObject({ path: 'config.allowIdpInitiated', line: lineOf(wrong, 'allowIdpInitiated'), column: 22 });
    expect(problem!.message).not.toMatch(/required/);
    const version = samlYaml().replace('version: "1.0"', 'version: 2');
    expect(errorsOf(version)[0]).toMatchObject({ path: 'version', line: 1, column: 10 });
    expect(errorsOf(version)[0]!.message).not.toMatch(/required/);
    const missing = samlYaml().replace(/ {2}claimEmail: .*\n/, '');
    expect(errorsOf(missing)[0]).toMatchObject({ path: 'config.claimEmail', line: lineOf(missing, 'config:'), message: '"claimEmail" is required.' });
  });

  it('a duplicate key is reported at the second one', () => {
    const yaml = `${samlYaml()}  entityId: https://other.example\n`;
    expect(errorsOf(yaml)[0]!.line).toBe(yaml.split('\n').length - 1);
  });
});

describe('one rule for the editor and the server', () => {
  it('`version: 1.0` (the number 1 to YAML) is valid on the server and in the generated JSON Schema; 2 is valid in neither', () => {
    const yaml = samlYaml().replace('version: "1.0"', 'version: 1.0');
    expect(validateConfigYaml(yaml).ok).toBe(true);
    const schema = configJsonSchema() as { properties: { version: { anyOf: Array<{ const: unknown }> } } };
    expect(schema.properties.version.anyOf.map((option) => option.const)).toEqual(['1.0', 1]);
    expect(validateConfigYaml(samlYaml().replace('version: "1.0"', 'version: 2')).ok).toBe(false);
  });

  it('the JSON Schema is what zod generates from the validator, with the documentation added', () => {
    const generated = z.toJSONSchema(samlConfigSchema, { io: 'input', target: 'draft-07', unrepresentable: 'any' }) as any;
    const schema = configJsonSchema('de') as any;
    expect(schema.required).toEqual(generated.required);
    expect(schema.properties.config.required).toEqual(generated.properties.config.required);
    expect(Object.keys(schema.properties.config.properties)).toEqual(Object.keys(generated.properties.config.properties));
    expect(schema.properties.config.properties.entityId.maxLength).toBe(generated.properties.config.properties.entityId.maxLength);
    expect(schema.properties.config.properties.entityId.description).toBe(describeConfigKeys('de')['config.entityId']!.description);
    expect(describeConfigKeys('de')['config.entityId']!.description).not.toBe(describeConfigKeys('en')['config.entityId']!.description);
    // "required" in the docs is read from the validator too.
    expect(Object.entries(describeConfigKeys()).filter(([, doc]) => doc.required).map(([path]) => path.replace('config.', ''))).toEqual(['version', 'config', ...generated.properties.config.required]);
  });

  it('GET /api/admin/saml explains the keys in the requested language', async () => {
    const admin = await adminClient();
    const german = await admin.get('/saml?language=de');
    expect(german.docs['config.certificate'].description).toMatch(/Signaturzertifikat/);
    expect(german.schema.properties.config.properties.certificate.description).toMatch(/Signaturzertifikat/);
    expect(german.yaml).toBe(CONFIG_TEMPLATE);
    const english = await admin.get('/saml');
    expect(english.docs['config.certificate'].description).toMatch(/signing certificate/);
    expect((await admin.request('/saml?language=fr')).status).toBe(400);
  });
});
