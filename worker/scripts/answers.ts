/** What /api/admin/sign-in-script answers, field by field where declared (see lib/answers.ts). */
import { z } from 'zod';
import { answerFits, answerOf, epochMs, itemsOf } from '../lib/answers';
import type { ScriptError } from '../../script-engine';
import type { ScriptCatalogueResponse, ScriptStateResponse, ScriptTestRunResponse } from './routes';
import type { readVersionSource } from './service';
import type { ScriptUserField } from './user-fields';

export const scriptVersionAnswer = answerOf<Awaited<ReturnType<typeof readVersionSource>>>()(
  z
    .object({
      version: z.number().int(),
      source: z.string().describe('The script as saved (YAML)'),
      onError: z.enum(['deny', 'continue']).describe('What a sign-in does when the script fails'),
      savedAt: epochMs(),
      savedBy: z.string().nullable().describe('The login of the administrator who saved it'),
    })
    .openapi('ScriptVersion'),
);

export const scriptUserFieldsAnswer = answerOf<{ items: Array<Pick<ScriptUserField, 'name' | 'writable' | 'type' | 'description'>> }>()(
  itemsOf(
    z.object({
      name: z.string().describe('The system name scripts use'),
      writable: z.boolean(),
      type: z.enum(['string', 'boolean']),
      description: z.string(),
    }),
  ),
);

const onError = z.enum(['deny', 'continue']).describe('What a sign-in does when the script fails');

export const scriptStateAnswer = answerOf<ScriptStateResponse>()(
  z.object({
    script: z
      .object({ version: z.number().int(), source: z.string(), onError, savedAt: epochMs(), savedBy: z.string().nullable() })
      .nullable()
      .describe('The applied version; null: no script'),
    enabled: z.boolean().describe('The kill switch: false, sign-ins run no script'),
    versions: z.array(z.object({ version: z.number().int(), onError, savedAt: epochMs(), savedBy: z.string().nullable(), applied: z.boolean() })),
  }),
);

const valueType = z.enum(['any', 'string', 'number', 'boolean', 'list', 'claims', 'user', 'actions', 'none']);
const localised = z.object({ en: z.string(), de: z.string() });
const typeNames = z.object({
  string: z.string(),
  number: z.string(),
  boolean: z.string(),
  any: z.string(),
  list: z.string(),
  claims: z.string(),
  user: z.string(),
  actions: z.string(),
  none: z.string(),
});

export const scriptCatalogueAnswer = answerOf<ScriptCatalogueResponse>()(
  z.object({
    items: z.array(
      z.object({
        name: z.string(),
        aliases: z.array(z.string()),
        category: z.enum(['data', 'logic', 'flow', 'effect']),
        result: valueType,
        doc: localised,
        parameters: z.array(z.object({ name: z.string(), type: valueType, required: z.boolean(), doc: localised })),
        positional: z.array(z.string()).describe('The parameters a short form takes, in order'),
      }),
    ),
    contextVariables: z.array(z.object({ name: z.string(), type: valueType, doc: localised })),
    types: z.object({ en: typeNames, de: typeNames }).describe("Each value type's name per language"),
  }),
);

/** A problem in the source: its code, the problem with its parameters (to render in any language), where it is. */
export const scriptErrorAnswer = answerOf<ScriptError>()(
  z.object({
    code: z.string(),
    problem: z.string().optional().describe('Which problem (script-engine/problems.ts), to say in the page\'s language'),
    params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    message: z.string().describe('In English'),
    line: z.number().int(),
    column: z.number().int(),
  }),
);

export const scriptCheckAnswer = answerOf<{ ok: boolean; errors: ScriptError[]; warnings: ScriptError[] }>()(
  z.object({
    ok: z.boolean(),
    errors: z.array(scriptErrorAnswer).describe('Empty when ok'),
    warnings: z.array(scriptErrorAnswer).describe('Empty when not ok'),
  }),
);

const problemParams = z.record(z.string(), z.union([z.string(), z.number()]));

/**
 * A dry run's answer: what ran (the trace), what it would change (effects as the engine asked, wouldApply as the
 * database would take them) or why the database would refuse (wouldFail); or the source's problems. Tied with
 * answerFits: the service's literal `effectsTruncated: false` is a boolean here.
 */
export const scriptTestRunAnswer = answerFits<ScriptTestRunResponse>()(
  z.union([
    z.object({
      ok: z.literal(true),
      outcome: z.enum(['success', 'error']),
      error: scriptErrorAnswer.nullable().describe('The run-time error, when the outcome is error'),
      denied: z.string().nullable().describe('The reason a Deny action gave'),
      trace: z.array(z.object({ action: z.string(), line: z.number().int(), column: z.number().int(), inputs: z.record(z.string(), z.unknown()), output: z.unknown() })),
      traceTruncated: z.boolean(),
      effects: z.array(
        z.union([
          z.object({ kind: z.literal('saveUser'), changes: z.record(z.string(), z.union([z.string(), z.boolean()])) }),
          z.object({ kind: z.enum(['addToOffice', 'removeFromOffice']), userId: z.string(), officeId: z.string() }),
          z.object({ kind: z.enum(['addToGroup', 'removeFromGroup']), userId: z.string(), groupId: z.string() }),
        ]),
      ),
      wouldApply: z.array(
        z.union([
          z.object({ change: z.literal('set'), field: z.string(), value: z.unknown() }),
          z.object({ change: z.enum(['add', 'remove']), kind: z.enum(['office', 'group']), name: z.string() }),
        ]),
      ),
      effectsTruncated: z.boolean(),
      wouldFail: z
        .object({ code: z.string(), problem: z.string().describe('Which problem (script-engine/problems.ts)'), params: problemParams, message: z.string().describe('In English') })
        .nullable()
        .describe('Why the database would refuse the effects; null when it would take them'),
    }),
    z.object({ ok: z.literal(false), errors: z.array(scriptErrorAnswer) }),
  ]),
);
