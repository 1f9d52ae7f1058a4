/**
 * Admin API for messaging. This router does NOT authenticate: it must be mounted behind the admin guard, i.e. in
 * worker/admin/routes.ts after `.use('*', authenticate, requireAdmin)`:
 *
 *     .route('/messaging', messagingAdminRoutes)      // -> /api/admin/messaging/...
 *
 * It reads `c.var.auth` only to attribute test messages to the admin who sent them.
 *
 *   GET    /settings             masked settings + limits + warnings + what the UI needs (types, placeholders, bounds)
 *   PUT    /settings             save; sections left out (sms, email, templates, limits) keep their stored value, and
 *                                so do secrets left out or sent back masked while the provider's type and URL stay
 *                                the same (otherwise: VALIDATION_FAILED, issue code PROVIDER_SECRET_URL_CHANGED)
 *   POST   /templates/preview    render templates with sample values; problems listed, never thrown
 *   POST   /test-message         send the real template with a sample code through the configured provider
 *   GET    /outbox               the development outbox (paged; ?channel=sms|email&recipient=)
 *   DELETE /outbox               empty the outbox
 *   GET    /message-log          every send with its outcome (paged; ?channel=&status=sent|failed&userId=)
 */
import { z } from 'zod';
import { requireFullAdminScope } from '../auth/middleware';
import { auditOf } from '../audit/record';
import { apiRouter, json, jsonBody, route } from '../lib/api-router';
import { messageLogPageAnswer, messagingSettingsAnswer, outboxPageAnswer, savedMessagingSettingsAnswer, templatePreviewAnswer, testMessageAnswer } from './answers';
import { clientIp } from '../lib/http';
import { fields } from '../lib/validate';
import { LANGUAGES } from '../contract/language';
import type { Env } from '../env';
import { DEFAULT_MESSAGE_LIMITS, DEFAULT_TEMPLATES } from './defaults';
import { defaultBaseUrlsOf, EMAIL_PROVIDERS, SMS_SUPPLIERS, typesOf } from './providers/registry';
import { MESSAGE_LIMIT_BOUNDS, messagingSettingsSaveSchema } from './schema';
import { clearOutbox, listMessageLog, listOutbox, previewTemplates, sendTestMessage } from './service';
import { loadMessagingSettings, maskMessagingSettings, saveMessagingSettings } from './settings';
import { GATEWAY_PLACEHOLDERS, MESSAGE_PLACEHOLDERS } from './templates';

const previewSchema = z.object({
  language: fields.language.default('en'),
  /** The templates being edited; fields left out use the saved ones. */
  templates: z
    .object({ sms: z.string().max(1000), emailSubject: z.string().max(200), emailBody: z.string().max(10_000) })
    .partial()
    .default({}),
  values: z
    .object({ code: z.string().max(20), name: z.string().max(100), link: z.string().max(500) })
    .partial()
    .default({}),
});

const testMessageSchema = z.object({
  channel: z.enum(['sms', 'email']),
  to: z.string().trim().min(1).max(254),
  language: fields.language.default('en'),
});

const outboxQuery = z.object({
  page: fields.page,
  pageSize: fields.pageSize,
  channel: z.enum(['sms', 'email']).optional(),
  recipient: z.string().trim().max(254).optional(),
});

const logQuery = z.object({
  page: fields.page,
  pageSize: fields.pageSize,
  channel: z.enum(['sms', 'email']).optional(),
  status: z.enum(['sent', 'failed']).optional(),
  userId: z.string().trim().max(64).optional(),
});

/** GET /settings: the masked settings, and what the admin center needs to edit them. */
async function settingsView(env: Env) {
  const settings = await loadMessagingSettings(env);
  return {
    ...maskMessagingSettings(settings),
    meta: {
      smsSupplierTypes: typesOf(SMS_SUPPLIERS),
      emailProviderTypes: typesOf(EMAIL_PROVIDERS),
      /** The URL a provider calls when its URL field is left empty, by type. */
      defaultBaseUrls: { ...defaultBaseUrlsOf(SMS_SUPPLIERS), ...defaultBaseUrlsOf(EMAIL_PROVIDERS) },
      languages: [...LANGUAGES],
      placeholders: MESSAGE_PLACEHOLDERS,
      gatewayPlaceholders: GATEWAY_PLACEHOLDERS,
      cloudflareEmailBinding: Boolean(env.EMAIL),
      defaultTemplates: DEFAULT_TEMPLATES,
      defaultLimits: DEFAULT_MESSAGE_LIMITS,
      limitBounds: MESSAGE_LIMIT_BOUNDS,
    },
  };
}

/** The services' answers, which answers.ts ties the declared answers to (the admin center reads those through the typed client). */
export type MessagingSettingsResponse = Awaited<ReturnType<typeof settingsView>>;
export type SavedSettingsResponse = ReturnType<typeof maskMessagingSettings>;
export type PreviewResponse = Awaited<ReturnType<typeof previewTemplates>>;
export type TestMessageResponse = Awaited<ReturnType<typeof sendTestMessage>>;

const tags = ['Messaging'];

export const messagingAdminRoutes = apiRouter()
  .openapi(
    route({
      method: 'get',
      path: '/settings',
      tags,
      summary: 'SMS suppliers, email provider, templates and sending limits (secrets only as set/not set)',
      responses: { 200: json(messagingSettingsAnswer, 'The masked settings with what the editor needs (meta)') },
    }),
    async (c) => c.json(await settingsView(c.env), 200),
  )
  .openapi(
    route({
      method: 'put',
      path: '/settings',
      tags,
      summary: 'Change any of sms, email, templates, limits (sections left out keep their values)',
      request: { body: jsonBody(messagingSettingsSaveSchema) },
      responses: { 200: json(savedMessagingSettingsAnswer, 'The masked settings as saved') },
    }),
    async (c) => {
      // The service parses the body itself (it is also called by the seed): it gets the request's, not a re-parse.
      const saved = await saveMessagingSettings(c.env, await c.req.json(), c.var.now, auditOf(c));
      return c.json(maskMessagingSettings(saved), 200);
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/templates/preview',
      tags,
      summary: 'Render a template with sample values; unknown placeholders are reported',
      request: { body: jsonBody(previewSchema) },
      responses: { 200: json(templatePreviewAnswer, 'The rendered texts and their problems') },
    }),
    async (c) => c.json(await previewTemplates(c.env, { ...c.req.valid('json'), linkOrigin: new URL(c.req.url).origin }), 200),
  )
  .openapi(
    route({
      method: 'post',
      path: '/test-message',
      tags,
      summary: 'Send a test SMS or email with the saved settings',
      request: { body: jsonBody(testMessageSchema) },
      responses: { 200: json(testMessageAnswer, 'The outcome of the send') },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const auth = c.var.auth;
      const result = await sendTestMessage(c.env, {
        channel: input.channel,
        to: input.to,
        language: input.language,
        userId: auth?.kind === 'session' ? auth.userId : null,
        ip: clientIp(c),
        nowMs: c.var.now,
      });
      return c.json(result, 200);
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/outbox',
      tags,
      summary: 'Messages kept by the local outbox provider, newest first (admin keys only: they hold live codes and links)',
      middleware: [requireFullAdminScope] as const,
      request: { query: outboxQuery },
      responses: { 200: json(outboxPageAnswer, 'One page of messages') },
    }),
    async (c) => c.json(await listOutbox(c.env.DB, c.req.valid('query')), 200),
  )
  .openapi(route({ method: 'delete', path: '/outbox', tags, summary: 'Empty the outbox', responses: { 200: json(z.object({ deleted: z.number().int() }), 'How many were deleted') } }), async (c) =>
    c.json({ deleted: await clearOutbox(c.env.DB) }, 200),
  )
  .openapi(
    route({ method: 'get', path: '/message-log', tags, summary: 'Every send with its outcome (no message texts)', request: { query: logQuery }, responses: { 200: json(messageLogPageAnswer, 'One page of the log') } }),
    async (c) => c.json(await listMessageLog(c.env.DB, c.req.valid('query')), 200),
  );
