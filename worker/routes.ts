/**
 * Every domain router and the path it is mounted at. Add a domain by adding one line here.
 */
import type { Hono } from 'hono';
import { adminRoutes } from './admin/routes';
import { authRoutes } from './auth/routes';
import type { AppBindings } from './env';
import { verifyApiRoutes } from './verify-api/routes';

export const routes: Array<[string, Hono<AppBindings>]> = [
  ['/api/auth', authRoutes],
  ['/api/admin', adminRoutes],
  ['/api/v1', verifyApiRoutes],
];
