/**
 * Admin API /api/admin/saml (mounted behind the admin guard):
 *   GET    /?language=de|en   state {saved, applied, differs}, the YAML to edit, JSON Schema and key docs (in that
 *                             language, default en), SP URLs
 *   POST   /validate          {yaml} -> {ok, errors[{path,message,line,column,endLine,endColumn}], warnings[same shape]}
 *   PUT    /                  {yaml, allowSignIn} -> state (validates first; 400 SAML_CONFIG_INVALID with details.errors)
 *   POST   /apply             {version?} -> state (the saved version, default the latest, becomes active)
 *   POST   /import-metadata   {metadata, yaml?, entityId?} -> {idp fields, warnings, yaml merged}
 */
import { z } from 'zod';
import { currentUserId } from '../auth/middleware';
import { SAML_CONFIG_MAX_BYTES, SAML_METADATA_MAX_BYTES } from '../constants';
import { auditOf } from '../audit/record';
import { apiRouter, json, jsonBody, route } from '../lib/api-router';
import { samlConfigStateAnswer, samlEditorAnswer, samlMetadataImportAnswer, samlValidationAnswer } from './answers';
import { publicOrigin } from '../lib/http';
import { LANGUAGES } from '../contract/language';
import { CONFIG_TEMPLATE, configJsonSchema, describeConfigKeys, validateConfigYaml } from './config';
import { applySamlConfig, readSamlConfigState, saveSamlConfig } from './config-service';
import { mergeIdpIntoYaml, parseIdpMetadata } from './metadata-import';

const yamlText = z.string().max(SAML_CONFIG_MAX_BYTES, `must be at most ${SAML_CONFIG_MAX_BYTES} characters`);

const saveBody = z.strictObject({ yaml: yamlText, allowSignIn: z.boolean() });
const applyBody = z.strictObject({ version: z.number().int().positive().optional() });
const importBody = z.strictObject({ metadata: z.string().min(1).max(SAML_METADATA_MAX_BYTES), yaml: yamlText.optional(), entityId: z.string().max(1024).optional() });
// A YAML of the full size may be escaped in JSON to nearly twice its length.
const yamlBody = { maxBodyBytes: SAML_CONFIG_MAX_BYTES * 2 };

const tags = ['SAML'];
const configState = json(samlConfigStateAnswer, 'The saved and active configuration');

export const samlAdminRoutes = apiRouter()
  .openapi(
    route({
      method: 'get',
      path: '/',
      tags,
      summary: 'Saved and active SAML configuration, the YAML to edit, its schema and docs, the SP addresses',
      request: { query: z.object({ language: z.enum(LANGUAGES).default('en') }) },
      responses: { 200: json(samlEditorAnswer, 'The state with yaml, schema, docs and sp') },
    }),
    async (c) => {
      const { language } = c.req.valid('query');
      const state = await readSamlConfigState(c.env.DB);
      const origin = publicOrigin(c);
      return c.json(
        {
          ...state,
          yaml: state.saved?.yaml ?? CONFIG_TEMPLATE,
          schema: configJsonSchema(language),
          docs: describeConfigKeys(language),
          sp: { acsUrl: `${origin}/saml/acs`, metadataUrl: `${origin}/saml/metadata`, loginUrl: `${origin}/saml/login` },
        },
        200,
      );
    },
  )
  .openapi(
    route(
      { method: 'post', path: '/validate', tags, summary: 'Validate YAML; problems with line and column', request: { body: jsonBody(z.strictObject({ yaml: yamlText })) }, responses: { 200: json(samlValidationAnswer, 'Valid or not, with the problems') } },
      yamlBody,
    ),
    (c) => {
      const result = validateConfigYaml(c.req.valid('json').yaml);
      return c.json(result.ok ? { ok: true, errors: [], warnings: result.warnings } : { ok: false, errors: result.errors, warnings: [] }, 200);
    },
  )
  .openapi(
    route({ method: 'put', path: '/', tags, summary: 'Validate and save a new version ({yaml, allowSignIn}); sign-in is unchanged until apply', request: { body: jsonBody(saveBody) }, responses: { 200: configState } }, yamlBody),
    async (c) => c.json(await saveSamlConfig(c.env.DB, { ...c.req.valid('json'), savedByUserId: currentUserId(c), nowMs: c.var.now }, auditOf(c)), 200),
  )
  .openapi(
    route({ method: 'post', path: '/apply', tags, summary: 'Make a saved version (default the latest) the active one', request: { body: jsonBody(applyBody) }, responses: { 200: configState } }),
    async (c) => c.json(await applySamlConfig(c.env.DB, { version: c.req.valid('json').version, nowMs: c.var.now }, auditOf(c)), 200),
  )
  .openapi(
    route(
      {
        method: 'post',
        path: '/import-metadata',
        tags,
        summary: 'Read entityId, SSO URL and certificate from IdP metadata and merge them into the YAML',
        request: { body: jsonBody(importBody) },
        responses: { 200: json(samlMetadataImportAnswer, 'The IdP fields, warnings and the merged yaml') },
      },
      { maxBodyBytes: SAML_METADATA_MAX_BYTES + SAML_CONFIG_MAX_BYTES * 2 },
    ),
    (c) => {
      const body = c.req.valid('json');
      const idp = parseIdpMetadata(body.metadata, body.entityId);
      return c.json({ ...idp, yaml: mergeIdpIntoYaml(body.yaml ?? CONFIG_TEMPLATE, idp) }, 200);
    },
  );
