/**
 * The API's typed clients: Hono's `hc` over each router's own type (a type-only import of the worker's router), so
 * a call's path, parameters, body and answer are the route's declaration (worker/lib/api-router.ts `route()`), and
 * no request or answer type is written in the UI. Every call goes through `apiFetch` (CSRF token, session cookie,
 * refusals as ApiError with the server's code and field issues), so `answer()` only ever sees a declared success.
 *
 * The UI program reads worker/ through the declarations tsconfig.worker.json emits; hc needs only the routes'
 * schema from them, so the Workers globals those mention (D1Database, ...) need not exist here (skipLibCheck).
 * The price, measured when the portal, profile and part of the admin moved here: the UI type-check builds about five
 * times the types (36k -> 164k types, 69k -> 357k instantiations), CPU 13.1 -> 15.5 s, memory 242 -> 365 MB.
 */
import type { Hono } from 'hono';
import { hc, type ClientResponse } from 'hono/client';
import type { ExtractSchema, Schema } from 'hono/types';
import type { adminRoutes } from '../../../worker/admin/routes';
import type { authRoutes } from '../../../worker/auth/routes';
import type { profileRoutes } from '../../../worker/profile/routes';
import type { portalRoutes } from '../../../worker/selfservice/routes';
import { apiFetch } from './api';

/**
 * A router's routes keyed from its root. A router re-typed with zod-openapi's `$()` after `.use()` has the base path
 * `string` (`$` infers Hono's three type parameters, Hono 4.13 has four), so its keys read `${string}/users/:id` and
 * its root route `string`: hc would offer every path as possibly undefined.
 */
type Rooted<App> = Hono<object, Extract<{ [K in keyof ExtractSchema<App> as RootedPath<K>]: Endpoints<ExtractSchema<App>[K]> }, Schema>>;
type RootedPath<K> = string extends K ? '/' : K extends `${string}/${infer Rest}` ? `/${Rest}` : K;
/** The `${string}` in such a path also reads as a parameter of any name: only the path's named parameters stay. */
type Endpoints<Methods> = { [M in keyof Methods]: Methods[M] extends { input: infer Input } ? Omit<Methods[M], 'input'> & { input: NamedParams<Input> } : Methods[M] };
type NamedParams<Input> = Input extends { param: infer P } ? Omit<Input, 'param'> & (keyof Named<P> extends never ? unknown : { param: Named<P> }) : Input;
type Named<P> = { [K in keyof P as string extends K ? never : number extends K ? never : symbol extends K ? never : K]: P[K] };

/**
 * The portal's routes as seen from one portal: /api/portal/<alias> is the client's base, so the paths lose their
 * `/:alias` and the calls their `alias` parameter (the portal router also lists its middleware paths, `*`-prefixed:
 * no route, dropped).
 */
type OnePortal = Hono<object, { [K in keyof PortalSchema as UnderAlias<K>]: { [M in keyof PortalSchema[K]]: WithoutAlias<PortalSchema[K][M]> } }>;
type PortalSchema = ExtractSchema<typeof portalRoutes>;
type UnderAlias<K> = K extends `/:alias${infer Rest}` ? (Rest extends '' ? '/' : Rest) : never;
type WithoutAlias<Endpoint> = Endpoint extends { input: infer Input }
  ? Omit<Endpoint, 'input'> & { input: Input extends { param: infer P } ? Omit<Input, 'param'> & ParamsBesides<P> : Input }
  : Endpoint;
type ParamsBesides<P> = keyof Omit<P, 'alias'> extends never ? unknown : { param: Omit<P, 'alias'> };

const options = { fetch: apiFetch };

export const adminApi = hc<Rooted<typeof adminRoutes>>('/api/admin', options);
export const authApi = hc<Rooted<typeof authRoutes>>('/api/auth', options);
/** `fetch` may wrap apiFetch (the profile's changes retry after a step-up). */
export const profileClient = (fetch: typeof apiFetch = apiFetch) => hc<Rooted<typeof profileRoutes>>('/api/profile', { fetch });
export type ProfileApi = ReturnType<typeof profileClient>;
export const profileApi = profileClient();
/** One portal's client; `fetch` may wrap apiFetch (the portal's actions retry after a step-up). */
export const portalApi = (alias: string, fetch: typeof apiFetch = apiFetch) => hc<OnePortal>(`/api/portal/${encodeURIComponent(alias)}`, { fetch });
export type PortalApi = ReturnType<typeof portalApi>;

/**
 * A route that also answers a file (the activities' `format=csv`) has that file, a bare Response, in its answer's
 * type; what answer() reads is the JSON one.
 */
type Answer<R> = R extends ClientResponse<infer T, number, infer F> ? (F extends 'json' ? Exclude<T, Response> : undefined) : never;

/** The success answer a route declared; undefined for a 204. A refusal never gets here (apiFetch throws it). */
export async function answer<R extends ClientResponse<unknown, number, string>>(call: Promise<R>): Promise<Answer<R>> {
  const response = await call;
  return (response.status === 204 ? undefined : await response.json()) as Answer<R>;
}
