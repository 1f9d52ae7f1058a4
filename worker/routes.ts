/**
 * Every domain router and the path it is mounted at. Add a domain by adding one line here.
 */
import type { Hono } from 'hono';
import type { AppBindings } from './env';

export const routes: Array<[string, Hono<AppBindings>]> = [];
