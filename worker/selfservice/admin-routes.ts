/** Admin API: PUT /api/admin/resources/:id/self-service */
import { Hono } from 'hono';
import { z } from 'zod';
import { auditOf } from '../audit/record';
import type { AppBindings } from '../env';
import { publicOrigin } from '../lib/http';
import { fields, parse, parseJsonBody } from '../lib/validate';
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

export const portalSettingsAdminRoutes = new Hono<AppBindings>().put('/:id/self-service', async (c) => {
  const { id } = parse(z.object({ id: fields.id }), c.req.param());
  const resource = await savePortalSettings(c.env.DB, id, await parseJsonBody(c, portalSettingsBody), auditOf(c));
  const alias = resource.selfService.alias;
  return c.json({ ...resource, portalUrl: alias ? `${publicOrigin(c)}/selfservice/${alias}` : null });
});
