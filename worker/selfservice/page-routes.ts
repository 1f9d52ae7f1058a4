/**
 * GET /selfservice/:alias — the portal page (the UI's single-page app). An unknown or disabled portal gets the same
 * page with status 404, which then shows "no portal here" in the user's language.
 */
import { Hono } from 'hono';
import type { AppBindings } from '../env';
import { AppError } from '../errors';
import { loadPortal } from './portal';

export const portalPageRoutes = new Hono<AppBindings>().get('/:alias/*', async (c) => {
  const page = await c.env.ASSETS.fetch(new Request(new URL('/index.html', c.req.url)));
  try {
    await loadPortal(c.env.DB, c.req.param('alias'));
    return new Response(page.body, page);
  } catch (error) {
    if (error instanceof AppError && error.code === 'PORTAL_NOT_FOUND') return new Response(page.body, { status: 404, headers: page.headers });
    throw error;
  }
});
