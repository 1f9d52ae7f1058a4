import { Hono } from 'hono';
import type { AppBindings } from '../env';

export const tokenImportRoutes = new Hono<AppBindings>();
