/** Admin API: PUT /api/admin/resources/:id/self-service */
import { z } from 'zod';
import { auditOf } from '../audit/record';
import { apiRouter, idParams, json, jsonBody, route } from '../lib/api-router';
import { savedPortalAnswer } from '../resources/answers';
import { publicOrigin } from '../lib/http';
import { ALIAS_PATTERN, RESERVED_ALIASES, SELF_SERVICE_ACTIONS, SELF_SERVICE_TOKEN_TYPES } from './actions';
import { savePortalSettings } from './settings-service';

const portalSettingsBody = z.strictObject({
  enabled: z.boolean(),
  alias: z
    .string()
    .trim()
    .toLowerCase()
    .regex(ALIAS_PATTERN, '3-40 lower-case letters, digits or single hyphens, not starting or ending with a hyphen')
    .refine((alias) => !RESERVED_ALIASES.has(alias), 'this alias is reserved')
    .nullable(),
  actions: z.array(z.enum(SELF_SERVICE_ACTIONS)).max(SELF_SERVICE_ACTIONS.length),
  tokenTypes: z.array(z.enum(SELF_SERVICE_TOKEN_TYPES)).max(SELF_SERVICE_TOKEN_TYPES.length).default([]),
});

export const portalSettingsAdminRoutes = apiRouter().openapi(
  route({
    method: 'put',
    path: '/{id}/self-service',
    tags: ['Self-service'],
    summary: 'Enable or disable the portal: alias, ordered actions, token types',
    request: { params: idParams, body: jsonBody(portalSettingsBody) },
    responses: { 200: json(savedPortalAnswer, 'The resource with its portal settings and portalUrl') },
  }),
  async (c) => {
    const resource = await savePortalSettings(c.env.DB, c.req.valid('param').id, c.req.valid('json'), auditOf(c));
    const alias = resource.selfService.alias;
    return c.json({ ...resource, portalUrl: alias ? `${publicOrigin(c)}/selfservice/${alias}` : null }, 200);
  },
);
