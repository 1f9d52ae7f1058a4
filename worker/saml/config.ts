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
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { SAML_CONFIG_MAX_BYTES } from '../constants';
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
  }, 'must be an https URL (http only for localhost / 127.0.0.1)');

const entityIdField = z.string().trim().min(1, 'is required').max(1024, 'must be at most 1024 characters (SAML core §8.3.6)');
const claimName = z.string().trim().min(1, 'must not be empty').max(512);

const certificateField = z
  .string()
  .min(1, 'is required')
  .max(16 * 1024)
  .transform((value, ctx) => {
    const checked = checkCertificate(value);
    if (!checked.ok) {
      ctx.addIssue({ code: 'custom', message: checked.message, input: value });
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
const RELAXATION_WARNINGS: Array<{ key: keyof SamlConfig; message: string }> = [
  {
    key: 'allowSha1Signatures',
    message: 'SHA-1 signatures and digests are accepted. SHA-1 collisions can be computed: switch this off as soon as your IdP signs with SHA-256.',
  },
  {
    key: 'allowResponseOnlySignatures',
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
    return { ok: false, errors: [{ path: '', message: `The configuration is larger than ${SAML_CONFIG_MAX_BYTES} bytes.`, line: 1, column: 1, endLine: 1, endColumn: 1 }] };
  }
  // Aliases are useless in this small file and the classic way to blow up a YAML document.
  const doc = parseDocument(yaml, { lineCounter, prettyErrors: false, uniqueKeys: true });
  lineCounter.lineStarts.sort((a, b) => a - b);
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((error) => ({ path: '', message: error.message.split('\n')[0]!, ...at(error.pos[0], error.pos[1]) })) };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (error) {
    return { ok: false, errors: [{ path: '', message: (error as Error).message, line: 1, column: 1, endLine: 1, endColumn: 1 }] };
  }
  const parsed = samlConfigSchema.safeParse(value ?? {});
  if (parsed.success) {
    const warnings = RELAXATION_WARNINGS.filter(({ key }) => parsed.data.config[key] === true).map(({ key, message }) => {
      const range = nodeRange(doc, ['config', key]);
      return { path: `config.${key}`, message, ...at(range[0], range[1]) };
    });
    return { ok: true, file: parsed.data, yaml, warnings };
  }
  const errors = parsed.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    // Unknown keys: one marker per key, on the key itself.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const range = keyRange(doc, path, key) ?? nodeRange(doc, path);
        return { path: [...path, key].join('.'), message: `Unknown key "${key}".`, ...at(range[0], range[1]) };
      });
    }
    const range = nodeRange(doc, path);
    const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined;
    const message = missing && path.length > 0 ? `"${path.at(-1)}" is required.` : /^[A-Z]/.test(issue.message) ? issue.message : `${path.at(-1) ?? 'The document'} ${issue.message}`;
    return [{ path: path.join('.'), message: message.endsWith('.') ? message : `${message}.`, ...at(range[0], range[1]) }];
  });
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, errors };
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

/** Hover and completion text of every key, by dotted path (the same words as the product documentation). */
export function describeConfigKeys(): Record<string, ConfigKeyDoc> {
  return {
    version: { required: true, description: 'Version of this configuration format. Currently always "1.0".', example: '"1.0"' },
    config: { required: true, description: 'The connection to your identity provider (IdP) and how its claims map to user accounts.' },
    'config.entityId': {
      required: true,
      description: "The IdP's entity ID (its unique name, usually a URL). Responses must be issued by exactly this entity; find it in the IdP metadata as EntityDescriptor/@entityID.",
      example: 'https://idp.example.com/saml/metadata',
    },
    'config.singleSignOnServiceUrl': {
      required: true,
      description: "Where users are sent to sign in: the IdP's SingleSignOnService location for the HTTP-Redirect binding. Must be https (http only for localhost).",
      example: 'https://idp.example.com/saml/sso',
    },
    'config.spEntityId': {
      required: true,
      description: 'The entity ID of this platform as a service provider (SP). The IdP must put it into the Audience of every assertion; it is also the entityID of /saml/metadata.',
      example: 'https://id.example.com/saml/metadata',
    },
    'config.certificate': {
      required: true,
      description: "The IdP's public signing certificate (X.509, Base64 of its DER encoding; PEM armour and line breaks are accepted). Only signatures by this certificate are trusted; certificates sent inside a response are ignored.",
      example: 'MIIDdzCCAl+gAwIBAgI...',
    },
    'config.claimEmail': {
      required: true,
      description: `The claim that holds the user's email address, which identifies the user. An attribute name (standard claims are full URIs, e.g. http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress) or ${NAME_ID_CLAIM} for the Subject's NameID.`,
      example: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
    },
    'config.claimFirstName': {
      required: false,
      description: 'The claim with the first name, entered into the account at the first sign-in (e.g. http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname).',
      example: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
    },
    'config.claimLastName': {
      required: false,
      description: 'The claim with the last name, entered into the account at the first sign-in (e.g. http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname).',
      example: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
    },
    'config.claimLanguage': {
      required: false,
      description: 'The claim with the preferred language ("de" or "en"; values like de-DE are accepted). It sets the account language at the first sign-in and the language of the welcome step.',
      example: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/locale',
    },
    'config.allowIdpInitiated': {
      required: false,
      description: 'Accept sign-ins started at the IdP (responses that answer no request of ours). Off by default: unsolicited responses are easier to inject (login CSRF).',
      example: 'false',
    },
    'config.allowSha1Signatures': {
      required: false,
      description: 'Accept signatures made with RSA-SHA1 or SHA-1 digests. Off by default: SHA-1 collisions are practical. Turn it on only for an IdP that cannot sign with SHA-256.',
      example: 'false',
    },
    'config.allowResponseOnlySignatures': {
      required: false,
      description: 'Accept responses where only the Response is signed and the assertion is not. Off by default, and the SP metadata then says WantAssertionsSigned="true".',
      example: 'false',
    },
  };
}

/** JSON Schema (draft-07) of the YAML file for monaco-yaml: structure, required keys, descriptions. */
export function configJsonSchema(): Record<string, unknown> {
  const docs = describeConfigKeys();
  const string = (path: string, extra: Record<string, unknown> = {}) => ({ type: 'string', description: docs[path]!.description, markdownDescription: docs[path]!.description, ...extra });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:edge-identity:saml-config:1.0',
    title: 'SAML configuration',
    type: 'object',
    additionalProperties: false,
    required: ['version', 'config'],
    properties: {
      version: { type: 'string', enum: ['1.0'], description: docs.version!.description },
      config: {
        type: 'object',
        description: docs.config!.description,
        additionalProperties: false,
        required: ['entityId', 'singleSignOnServiceUrl', 'spEntityId', 'certificate', 'claimEmail'],
        properties: {
          entityId: string('config.entityId', { minLength: 1, maxLength: 1024 }),
          singleSignOnServiceUrl: string('config.singleSignOnServiceUrl', { format: 'uri', pattern: '^(https://|http://(localhost|127\\.0\\.0\\.1|\\[::1\\])[:/])' }),
          spEntityId: string('config.spEntityId', { minLength: 1, maxLength: 1024 }),
          certificate: string('config.certificate', { minLength: 1 }),
          claimEmail: string('config.claimEmail', { minLength: 1, examples: [NAME_ID_CLAIM, 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'] }),
          claimFirstName: string('config.claimFirstName', { minLength: 1 }),
          claimLastName: string('config.claimLastName', { minLength: 1 }),
          claimLanguage: string('config.claimLanguage', { minLength: 1 }),
          allowIdpInitiated: { type: 'boolean', default: false, description: docs['config.allowIdpInitiated']!.description },
          allowSha1Signatures: { type: 'boolean', default: false, description: docs['config.allowSha1Signatures']!.description },
          allowResponseOnlySignatures: { type: 'boolean', default: false, description: docs['config.allowResponseOnlySignatures']!.description },
        },
      },
    },
  };
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
