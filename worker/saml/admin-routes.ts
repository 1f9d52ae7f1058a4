/**
 * Admin API /api/admin/saml (mounted behind the admin guard):
 *   GET    /?language=de|en   state {saved, applied, differs}, the YAML to edit, JSON Schema and key docs (in that
 *                             language, default en), SP URLs
 *   POST   /validate          {yaml} -> {ok, errors[{path,message,line,column,endLine,endColumn}], warnings[same shape]}
 *   PUT    /                  {yaml, allowSignIn} -> state (validates first; 400 SAML_CONFIG_INVALID with details.errors)
 *   POST   /apply             {version?} -> state (the saved version, default the latest, becomes active)
 *   POST   /import-metadata   {metadata, yaml?, entityId?} -> {idp fields, warnings, yaml merged}
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { currentUserId } from '../auth/middleware';
import { SAML_CONFIG_MAX_BYTES, SAML_METADATA_MAX_BYTES } from '../constants';
import { auditOf } from '../audit/record';
import type { AppBindings } from '../env';
import { publicOrigin } from '../lib/http';
import { parse, parseJsonBody } from '../lib/validate';
import { LANGUAGES } from '../contract/language';
import { CONFIG_TEMPLATE, configJsonSchema, describeConfigKeys, validateConfigYaml } from './config';
import { applySamlConfig, readSamlConfigState, saveSamlConfig } from './config-service';
import { mergeIdpIntoYaml, parseIdpMetadata } from './metadata-import';

const yamlText = z.string().max(SAML_CONFIG_MAX_BYTES, `must be at most ${SAML_CONFIG_MAX_BYTES} characters`);

export const samlAdminRoutes = new Hono<AppBindings>()
  .get('/', async (c) => {
    const { language } = parse(z.object({ language: z.enum(LANGUAGES).default('en') }), c.req.query());
    const state = await readSamlConfigState(c.env.DB);
    const origin = publicOrigin(c);
    return c.json({
      ...state,
      yaml: state.saved?.yaml ?? CONFIG_TEMPLATE,
      schema: configJsonSchema(language),
      docs: describeConfigKeys(language),
      sp: { acsUrl: `${origin}/saml/acs`, metadataUrl: `${origin}/saml/metadata`, loginUrl: `${origin}/saml/login` },
    });
  })
  .post('/validate', async (c) => {
    const { yaml } = await parseJsonBody(c, z.strictObject({ yaml: yamlText }), SAML_CONFIG_MAX_BYTES * 2);
    const result = validateConfigYaml(yaml);
    return c.json(result.ok ? { ok: true, errors: [], warnings: result.warnings } : { ok: false, errors: result.errors, warnings: [] });
  })
  .put('/', async (c) => {
    const body = await parseJsonBody(c, z.strictObject({ yaml: yamlText, allowSignIn: z.boolean() }), SAML_CONFIG_MAX_BYTES * 2);
    return c.json(await saveSamlConfig(c.env.DB, { ...body, savedByUserId: currentUserId(c), nowMs: c.var.now }, auditOf(c)));
  })
  .post('/apply', async (c) => {
    const body = await parseJsonBody(c, z.strictObject({ version: z.number().int().positive().optional() }));
    return c.json(await applySamlConfig(c.env.DB, { version: body.version, nowMs: c.var.now }, auditOf(c)));
  })
  .post('/import-metadata', async (c) => {
    const body = await parseJsonBody(
      c,
      z.strictObject({ metadata: z.string().min(1).max(SAML_METADATA_MAX_BYTES), yaml: yamlText.optional(), entityId: z.string().max(1024).optional() }),
      SAML_METADATA_MAX_BYTES + SAML_CONFIG_MAX_BYTES * 2,
    );
    const idp = parseIdpMetadata(body.metadata, body.entityId);
    return c.json({ ...idp, yaml: mergeIdpIntoYaml(body.yaml ?? CONFIG_TEMPLATE, idp) });
  });
