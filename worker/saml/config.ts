/**
 * The SAML configuration as administrators write it (YAML), its validation with line/column positions for the
 * editor's markers, the key documentation shown as hover/completion text, and a JSON Schema for monaco-yaml.
 *
 *   version: "1.0"
 *   config:
 *     entityId: https://idp.example.com/saml/metadata
 *     singleSignOnServiceUrl: https://idp.example.com/saml/sso
 *     spEntityId: https://id.example.com/saml/metadata
 *     certificate: MIIC...            # the IdP's signing certificate, Base64 DER
 *     claimEmail: http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress
 *     claimFirstName: http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname
 *     claimLastName: http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname
 *     claimLanguage: language
 *     allowIdpInitiated: false
 *     allowSha1Signatures: false          # relaxations: each true value is a warning in the editor
 *     allowResponseOnlySignatures: false
 */
import { isCollection, isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Document, type Node as YamlNode, type YAMLError } from 'yaml';
import { z } from 'zod';
import { SAML_CONFIG_MAX_BYTES } from '../constants';
import type { FieldIssueCode, FieldIssueParams } from '../contract/field-issues';
import type { Language } from '../contract/language';
import { fieldIssue } from '../lib/validate';
import { checkCertificate } from './certificate';

/** The claim name that means "the Subject's NameID" rather than an attribute. */
export const NAME_ID_CLAIM = 'NameID';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https only; plain http is accepted for loopback addresses (a local test IdP), never for a real host. */
const ssoUrl = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      if (url.username || url.password || url.hash) return false;
      return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
    } catch {
      return false;
    }
  }, { error: 'must be an https URL (http only for localhost / 127.0.0.1)', params: { code: 'SAML_URL_NOT_HTTPS' } });

const entityIdField = z.string().trim().min(1, 'is required').max(1024, 'must be at most 1024 characters (SAML core §8.3.6)');
const claimName = z.string().trim().min(1, 'must not be empty').max(512);

const certificateField = z
  .string()
  .min(1, 'is required')
  .max(16 * 1024)
  .transform((value, ctx) => {
    const checked = checkCertificate(value);
    if (!checked.ok) {
      ctx.addIssue({ code: 'custom', message: checked.message, input: value, params: { code: 'SAML_CERTIFICATE_INVALID' } });
      return z.NEVER;
    }
    return checked.base64;
  });

export const samlConfigSchema = z.strictObject({
  version: z.union([z.literal('1.0'), z.literal(1)], { error: 'must be "1.0"' }).transform(() => '1.0' as const),
  config: z.strictObject(
    {
      entityId: entityIdField,
      singleSignOnServiceUrl: ssoUrl,
      spEntityId: entityIdField,
      certificate: certificateField,
      claimEmail: claimName,
      claimFirstName: claimName.optional(),
      claimLastName: claimName.optional(),
      claimLanguage: claimName.optional(),
      allowIdpInitiated: z.boolean({ error: 'must be true or false' }).default(false),
      allowSha1Signatures: z.boolean({ error: 'must be true or false' }).default(false),
      allowResponseOnlySignatures: z.boolean({ error: 'must be true or false' }).default(false),
    },
    { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a mapping of keys') },
  ),
});

export type SamlConfigFile = z.output<typeof samlConfigSchema>;
export type SamlConfig = SamlConfigFile['config'];

export interface ConfigIssue {
  /** Dotted path of the key (`config.entityId`), empty for the document itself. */
  path: string;
  /** What is wrong, for the editor to say in the admin's language (texts: ui/src/lib/error-texts.ts). */
  code: FieldIssueCode;
  params?: FieldIssueParams;
  /** The same in English. */
  message: string;
  /** 1-based positions in the YAML text. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** `warnings` are valid settings that weaken sign-in; they never block saving. */
export type ConfigValidation = { ok: true; file: SamlConfigFile; yaml: string; warnings: ConfigIssue[] } | { ok: false; errors: ConfigIssue[] };

/** Settings that are valid but weaken what a signature proves: shown as warnings at their line. */
const RELAXATION_WARNINGS: Array<{ key: keyof SamlConfig; code: FieldIssueCode; message: string }> = [
  {
    key: 'allowSha1Signatures',
    code: 'SAML_SHA1_ALLOWED',
    message: 'SHA-1 signatures and digests are accepted. SHA-1 collisions can be computed: switch this off as soon as your IdP signs with SHA-256.',
  },
  {
    key: 'allowResponseOnlySignatures',
    code: 'SAML_RESPONSE_ONLY_SIGNATURES',
    message: 'Responses whose assertion is not signed itself are accepted (only the Response is). The SP metadata then says WantAssertionsSigned="false".',
  },
];

/** Validates YAML text; every error carries the line/column of the key or value it is about. */
export function validateConfigYaml(yaml: string): ConfigValidation {
  const lineCounter = new LineCounter();
  const at = (offsetStart: number, offsetEnd: number) => {
    const start = lineCounter.linePos(offsetStart);
    const end = lineCounter.linePos(Math.max(offsetStart, offsetEnd));
    return { line: start.line, column: start.col, endLine: end.line, endColumn: end.col };
  };
  if (new TextEncoder().encode(yaml).byteLength > SAML_CONFIG_MAX_BYTES) {
    const message = `The configuration is larger than ${SAML_CONFIG_MAX_BYTES} bytes.`;
    return { ok: false, errors: [{ path: '', code: 'SAML_CONFIG_TOO_LARGE', params: { maxBytes: SAML_CONFIG_MAX_BYTES }, message, line: 1, column: 1, endLine: 1, endColumn: 1 }] };
  }
  // Aliases are useless in this small file and the classic way to blow up a YAML document.
  const doc = parseDocument(yaml, { lineCounter, prettyErrors: false, uniqueKeys: true });
  lineCounter.lineStarts.sort((a, b) => a - b);
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((error) => ({ path: '', code: syntaxErrorCode(error), message: error.message.split('\n')[0]!, ...at(...syntaxErrorRange(doc, error)) })) };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (error) {
    return { ok: false, errors: [{ path: '', code: 'YAML_SYNTAX', message: (error as Error).message, line: 1, column: 1, endLine: 1, endColumn: 1 }] };
  }
  const parsed = samlConfigSchema.safeParse(value ?? {});
  if (parsed.success) {
    const warnings = RELAXATION_WARNINGS.filter(({ key }) => parsed.data.config[key] === true).map(({ key, code, message }) => {
      const range = nodeRange(doc, ['config', key]);
      return { path: `config.${key}`, code, message, ...at(range[0], range[1]) };
    });
    return { ok: true, file: parsed.data, yaml, warnings };
  }
  const errors = parsed.error.issues.flatMap((issue): ConfigIssue[] => {
    const path = issue.path.map(String);
    // Unknown keys: one marker per key, on the key itself.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const range = keyRange(doc, path, key) ?? nodeRange(doc, path);
        return { path: [...path, key].join('.'), code: 'UNKNOWN_KEY' as const, params: { key }, message: `Unknown key "${key}".`, ...at(range[0], range[1]) };
      });
    }
    const range = nodeRange(doc, path);
    // zod does not report the input, so "missing" is read from the document: a wrong value is not a missing key.
    const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_union') && !doc.hasIn(path);
    const message = missing && path.length > 0 ? `"${path.at(-1)}" is required.` : /^[A-Z]/.test(issue.message) ? issue.message : `${path.at(-1) ?? 'The document'} ${issue.message}`;
    const described = issueCode(issue, value, path, missing);
    return [{ path: path.join('.'), ...described, message: message.endsWith('.') ? message : `${message}.`, ...at(range[0], range[1]) }];
  });
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, errors };
}

/** The code and parameters the editor states the problem with (the key named where it is missing). */
function issueCode(issue: z.core.$ZodIssue, input: unknown, path: string[], missing: boolean): { code: FieldIssueCode; params?: FieldIssueParams } {
  if (missing) return path.length > 0 ? { code: 'REQUIRED', params: { key: path.at(-1)! } } : { code: 'NOT_A_MAPPING' };
  if (path.length === 1 && path[0] === 'version') return { code: 'SAML_VERSION' };
  if (issue.code === 'invalid_type' && issue.expected === 'object') return { code: 'NOT_A_MAPPING', params: { key: path.at(-1) ?? '' } };
  const { code, params } = fieldIssue(issue, input);
  return { code: code ?? 'custom', ...(params ? { params } : {}) };
}

function syntaxErrorCode(error: YAMLError): FieldIssueCode {
  if (error.code === 'DUPLICATE_KEY') return 'YAML_DUPLICATE_KEY';
  if (error.code === 'MISSING_CHAR' || (error.code === 'BAD_INDENT' && /end with a/.test(error.message))) return 'YAML_UNCLOSED';
  if (error.code === 'BAD_INDENT') return 'YAML_BAD_INDENT';
  return 'YAML_SYNTAX';
}

/** Range of the value at `path`; for a missing key, the range of the closest existing parent (or its key). */
function nodeRange(doc: Document, path: string[]): [number, number] {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : (doc.getIn(path.slice(0, depth), true) as YamlNode | undefined);
    if (node && typeof node === 'object' && 'range' in node && node.range) {
      // A whole mapping is a large range: point at its key instead when we can.
      if (isMap(node) && depth > 0) {
        const keyed = keyRange(doc, path.slice(0, depth - 1), path[depth - 1]!);
        if (keyed) return keyed;
      }
      if (isMap(node) && depth === 0) return [node.range[0], node.range[0]];
      return [node.range[0], node.range[1]];
    }
  }
  return [0, 0];
}

/**
 * YAML reports an unterminated quote or flow collection (`"http…`, `[a, b`) where the parser gave up, often lines
 * below; the admin's mistake is where it was opened, so the error points at that line.
 */
function syntaxErrorRange(doc: Document, error: YAMLError): [number, number] {
  const unterminated = error.code === 'MISSING_CHAR' || (error.code === 'BAD_INDENT' && /end with a/.test(error.message));
  if (!unterminated) return [error.pos[0], error.pos[1]];
  let opened: [number, number] | null = null;
  visit(doc, {
    Node(_key, node) {
      const opens = (isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) || (isCollection(node) && node.flow === true);
      const range = node.range;
      if (opens && range && range[0] < error.pos[0] && range[1] >= error.pos[0] - 1 && (!opened || range[0] > opened[0])) opened = [range[0], range[0] + 1];
    },
  });
  return opened ?? [error.pos[0], error.pos[1]];
}

function keyRange(doc: Document, parentPath: string[], key: string): [number, number] | null {
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  if (!isMap(parent)) return null;
  for (const item of parent.items) {
    if (isPair(item) && isScalar(item.key) && String(item.key.value) === key && item.key.range) return [item.key.range[0], item.key.range[1]];
  }
  return null;
}

// ---------------------------------------------------------------- documentation for the editor

export interface ConfigKeyDoc {
  description: string;
  required: boolean;
  example?: string;
}

type KeyPath = 'version' | 'config' | `config.${keyof typeof samlConfigSchema.shape.config.shape}`;

/** Hover and completion text of every key in both languages (the same words as the product documentation). */
const KEY_DOCS: Record<KeyPath, Record<Language, string> & { example?: string }> = {
  version: {
    en: 'Version of this configuration format. Currently always "1.0".',
    de: 'Version dieses Konfigurationsformats. Derzeit immer „1.0“.',
    example: '"1.0"',
  },
  config: {
    en: 'The connection to your identity provider (IdP) and how its claims map to user accounts.',
    de: 'Die Verbindung zu Ihrem Identitätsanbieter (IdP) und wie seine Claims den Benutzerkonten zugeordnet werden.',
  },
  'config.entityId': {
    en: "The IdP's entity ID (its unique name, usually a URL). Responses must be issued by exactly this entity; find it in the IdP metadata as EntityDescriptor/@entityID.",
    de: 'Die Entity-ID des IdP (sein eindeutiger Name, meist eine URL). Antworten müssen genau von dieser Entity ausgestellt sein; Sie finden sie in den Metadaten des IdP als EntityDescriptor/@entityID.',
    example: 'https://idp.example.com/saml/metadata',
  },
  'config.singleSignOnServiceUrl': {
    en: "Where users are sent to sign in: the IdP's SingleSignOnService location for the HTTP-Redirect binding. Must be https (http only for localhost).",
    de: 'Wohin Benutzer zur Anmeldung geschickt werden: die SingleSignOnService-Adresse des IdP für das HTTP-Redirect-Binding. Muss https sein (http nur für localhost).',
    example: 'https://idp.example.com/saml/sso',
  },
  'config.spEntityId': {
    en: 'The entity ID of this platform as a service provider (SP). The IdP must put it into the Audience of every assertion; it is also the entityID of /saml/metadata.',
    de: 'Die Entity-ID dieser Plattform als Service Provider (SP). Der IdP muss sie in die Audience jeder Assertion schreiben; sie ist auch die entityID von /saml/metadata.',
    example: 'https://id.example.com/saml/metadata',
  },
  'config.certificate': {
    en: "The IdP's public signing certificate (X.509, Base64 of its DER encoding; PEM armour and line breaks are accepted). Only signatures by this certificate are trusted; certificates sent inside a response are ignored.",
    de: 'Das öffentliche Signaturzertifikat des IdP (X.509, Base64 seiner DER-Kodierung; PEM-Rahmen und Zeilenumbrüche sind erlaubt). Nur Signaturen mit diesem Zertifikat gelten; Zertifikate in einer Antwort werden ignoriert.',
    example: 'MIIDdzCCAl+gAwIBAgI...',
  },
  'config.claimEmail': {
    en: `The claim that holds the user's email address, which identifies the user. An attribute name (standard claims are full URIs, e.g. http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress) or ${NAME_ID_CLAIM} for the Subject's NameID.`,
    de: `Der Claim mit der E-Mail-Adresse des Benutzers, die ihn identifiziert. Ein Attributname (Standard-Claims sind vollständige URIs, z. B. http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress) oder ${NAME_ID_CLAIM} für die NameID des Subjects.`,
    example: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  },
  'config.claimFirstName': {
    en: 'The claim with the first name, entered into the account at the first sign-in (e.g. http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname).',
    de: 'Der Claim mit dem Vornamen, der bei der ersten Anmeldung ins Konto übernommen wird (z. B. http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname).',
    example: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  },
  'config.claimLastName': {
    en: 'The claim with the last name, entered into the account at the first sign-in (e.g. http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname).',
    de: 'Der Claim mit dem Nachnamen, der bei der ersten Anmeldung ins Konto übernommen wird (z. B. http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname).',
    example: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  },
  'config.claimLanguage': {
    en: 'The claim with the preferred language ("de" or "en"; values like de-DE are accepted). It sets the account language at the first sign-in and the language of the welcome step.',
    de: 'Der Claim mit der bevorzugten Sprache („de“ oder „en“; Werte wie de-DE werden akzeptiert). Er setzt die Sprache des Kontos bei der ersten Anmeldung und die Sprache des Willkommensschritts.',
    example: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/locale',
  },
  'config.allowIdpInitiated': {
    en: 'Accept sign-ins started at the IdP (responses that answer no request of ours). Off by default: unsolicited responses are easier to inject (login CSRF).',
    de: 'Beim IdP gestartete Anmeldungen annehmen (Antworten, die auf keine unserer Anfragen antworten). Standardmäßig aus: Unaufgeforderte Antworten lassen sich leichter einschleusen (Login-CSRF).',
    example: 'false',
  },
  'config.allowSha1Signatures': {
    en: 'Accept signatures made with RSA-SHA1 or SHA-1 digests. Off by default: SHA-1 collisions are practical. Turn it on only for an IdP that cannot sign with SHA-256.',
    de: 'Signaturen mit RSA-SHA1 oder SHA-1-Hashes annehmen. Standardmäßig aus: SHA-1-Kollisionen sind praktisch machbar. Nur für einen IdP einschalten, der nicht mit SHA-256 signieren kann.',
    example: 'false',
  },
  'config.allowResponseOnlySignatures': {
    en: 'Accept responses where only the Response is signed and the assertion is not. Off by default, and the SP metadata then says WantAssertionsSigned="true".',
    de: 'Antworten annehmen, bei denen nur die Response signiert ist, die Assertion aber nicht. Standardmäßig aus; die SP-Metadaten sagen dann WantAssertionsSigned="true".',
    example: 'false',
  },
};

/** Whether a key must be written: read from the validator, so the docs and the schema cannot disagree with it. */
function isRequired(path: KeyPath): boolean {
  const [head, key] = path.split('.') as ['version' | 'config', string | undefined];
  const field = key === undefined ? samlConfigSchema.shape[head] : samlConfigSchema.shape.config.shape[key as keyof SamlConfig];
  return !field.safeParse(undefined).success;
}

/** Hover and completion text of every key, by dotted path, in the given language. */
export function describeConfigKeys(language: Language = 'en'): Record<string, ConfigKeyDoc> {
  return Object.fromEntries(
    Object.entries(KEY_DOCS).map(([path, doc]) => [path, { description: doc[language], required: isRequired(path as KeyPath), ...(doc.example ? { example: doc.example } : {}) }]),
  );
}

/**
 * JSON Schema (draft-07) of the YAML file for monaco-yaml, generated from samlConfigSchema (the input it accepts:
 * `version: 1.0` is the number 1 to YAML, and valid in the editor because the server takes it), with the key
 * documentation as descriptions. Refinements zod cannot express (the https rule, the certificate check) stay on
 * the server, whose markers the editor shows as you type.
 */
export function configJsonSchema(language: Language = 'en'): Record<string, unknown> {
  const docs = describeConfigKeys(language);
  const schema = z.toJSONSchema(samlConfigSchema, { io: 'input', target: 'draft-07', unrepresentable: 'any' });
  const describe = (path: string, node: JsonSchemaNode | undefined) => {
    const { description } = docs[path]!;
    return Object.assign(keySchema(path, node), { description, markdownDescription: description });
  };
  for (const [key, node] of Object.entries(schema.properties ?? {})) describe(key, node);
  const config = keySchema('config', schema.properties?.config);
  for (const [key, node] of Object.entries(config.properties ?? {})) describe(`config.${key}`, node);
  // Offered as values by the editor's completion: the NameID and the standard email claim.
  keySchema('config.claimEmail', config.properties?.claimEmail).examples = [NAME_ID_CLAIM, KEY_DOCS['config.claimEmail'].example];
  return { ...schema, title: SCHEMA_TITLES[language] };
}

/** The schema's title heads every key's hover in the editor, above the key's documentation in the same language. */
const SCHEMA_TITLES: Record<Language, string> = { en: 'SAML configuration', de: 'SAML-Konfiguration' };

type JsonSchemaNode = z.core.JSONSchema._JSONSchema;

/**
 * A key's schema as zod writes it for samlConfigSchema: an object. JSON Schema also allows `true` or no schema at
 * all, which would mean the generated file lost the key's rules and documentation, so that is an error here.
 */
function keySchema(path: string, node: JsonSchemaNode | undefined): z.core.JSONSchema.JSONSchema {
  if (typeof node !== 'object') throw new Error(`The SAML configuration's JSON Schema has no object schema for ${path}`);
  return node;
}

/** A starting point for an empty editor. */
export const CONFIG_TEMPLATE = `version: "1.0"
config:
  entityId: https://idp.example.com/saml/metadata
  singleSignOnServiceUrl: https://idp.example.com/saml/sso
  spEntityId: https://id.example.com/saml/metadata
  certificate: ""
  claimEmail: http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress
  claimFirstName: http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname
  claimLastName: http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname
  allowIdpInitiated: false
`;
