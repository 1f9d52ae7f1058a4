/** What /api/admin/saml answers, field by field (see lib/answers.ts). */
import { z } from 'zod';
import { answerOf, epochMs, fieldIssueCodeAnswer, fieldIssueParamsAnswer } from '../lib/answers';
import type { ConfigIssue, ConfigKeyDoc } from './config';
import type { readSamlConfigState } from './config-service';
import type { parseIdpMetadata } from './metadata-import';

type SamlConfigState = Awaited<ReturnType<typeof readSamlConfigState>>;

const version = {
  version: z.number().int(),
  allowSignIn: z.boolean().describe('Whether the sign-in page offers "Sign in with SAML"'),
  savedAt: epochMs(),
  savedBy: z.string().nullable().describe('The login of the administrator who saved it'),
};
const stateShape = {
  saved: z
    .object({ ...version, yaml: z.string(), certificateNotAfter: epochMs().nullable().describe("When the IdP certificate expires (null: unreadable)") })
    .nullable()
    .describe('The newest saved version'),
  applied: z.object(version).nullable().describe('The version sign-in uses'),
  differs: z.boolean().describe('The newest saved version is not the applied one'),
};

export const samlConfigStateAnswer = answerOf<SamlConfigState>()(z.object(stateShape).openapi('SamlConfigState'));

/** GET /: the state and what the YAML editor needs (the text, its JSON Schema, each key's documentation, SP URLs). */
export const samlEditorAnswer = answerOf<
  SamlConfigState & { yaml: string; schema: Record<string, unknown>; docs: Record<string, ConfigKeyDoc>; sp: { acsUrl: string; metadataUrl: string; loginUrl: string } }
>()(
  z.object({
    ...stateShape,
    yaml: z.string().describe('The saved YAML, or the template when nothing is saved'),
    schema: z.record(z.string(), z.unknown()).describe('JSON Schema (draft-07) of the YAML file, for the editor'),
    docs: z.record(z.string(), z.object({ description: z.string(), required: z.boolean(), example: z.string().optional() })).describe('Each key (dotted path) documented'),
    sp: z.object({ acsUrl: z.string(), metadataUrl: z.string(), loginUrl: z.string() }).describe('The addresses to give the IdP'),
  }),
);

const configIssue = answerOf<ConfigIssue>()(
  z.object({
    path: z.string().describe('Dotted path of the key; empty for the document'),
    code: fieldIssueCodeAnswer,
    params: fieldIssueParamsAnswer.optional(),
    message: z.string().describe('In English'),
    line: z.number().int(),
    column: z.number().int(),
    endLine: z.number().int(),
    endColumn: z.number().int(),
  }),
);

export const samlValidationAnswer = answerOf<{ ok: boolean; errors: ConfigIssue[]; warnings: ConfigIssue[] }>()(
  z.object({
    ok: z.boolean(),
    errors: z.array(configIssue).describe('Empty when ok'),
    warnings: z.array(configIssue).describe('Valid settings that weaken sign-in (never block saving); empty when not ok'),
  }),
);

export const samlMetadataImportAnswer = answerOf<ReturnType<typeof parseIdpMetadata> & { yaml: string }>()(
  z.object({
    entityId: z.string(),
    singleSignOnServiceUrl: z.string(),
    binding: z.enum(['HTTP-Redirect', 'HTTP-POST']),
    certificate: z.string().describe('The signing certificate (base64 DER)'),
    otherCertificates: z.array(z.string()),
    warnings: z.array(z.string()),
    yaml: z.string().describe('The YAML with these fields merged in'),
  }),
);
