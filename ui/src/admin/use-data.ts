/** Data hooks for admin pages: load once or on change, a paged searchable list, and an action runner with errors. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { refusalsOf } from '../components/form';
import { clearErrorToasts, showToast } from '../components/toast';
import { describeError } from '../lib/i18n';
import type { Page } from '../../../worker/lib/paging';

/** One page of a list, as every paged admin answer has it. */
export type { Page };

/**
 * Loads a route's answer through a typed client (../lib/api-client.ts) once, and again when `deps` change or on
 * `reload()`: `load` gets the abort signal for `{ init: { signal } }`, and the answer's type is the route's own.
 * `load` null waits (nothing to load yet).
 *
 *   const { data } = useAnswer((init) => answer(adminApi.users[':id'].overview.$get({ param: { id } }, { init })), [id]);
 */
export function useAnswer<T>(load: ((init: { signal: AbortSignal }) => Promise<T>) | null, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState('');
  const [version, setVersion] = useState(0);
  useEffect(() => {
    if (!load) return;
    const controller = new AbortController();
    setError('');
    load({ signal: controller.signal })
      .then(setData)
      .catch((failure) => {
        if ((failure as Error).name !== 'AbortError') setError(describeError(failure));
      });
    return () => controller.abort();
    // `load` is a new closure each render; what it depends on is `deps`.
  }, [version, load === null, ...deps]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data, error, reload, setData };
}

/** What a paged list asks its route for: every paged admin route takes these query parameters. */
export interface PageQuery {
  search?: string;
  page: string;
  pageSize: string;
}

/**
 * A server-paged list with a debounced search box, loaded through a typed client: `load` gets the page's query and
 * the abort signal, `deps` are its filters (a change goes back to page 1).
 *
 *   const list = usePagedAnswer((query, init) => answer(adminApi.users.$get({ query }, { init })), []);
 */
export function usePagedAnswer<T>(load: (query: PageQuery, init: { signal: AbortSignal }) => Promise<Page<T>>, deps: unknown[], pageSize = 25) {
  const [search, setSearch] = useState('');
  const [debounced, setDebounced] = useState('');
  const [page, setPage] = useState(1);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      setDebounced(search.trim());
      setPage(1);
    }, 250);
    return () => clearTimeout(timer.current);
  }, [search]);
  useEffect(() => setPage(1), deps);
  const pageQuery: PageQuery = { ...(debounced ? { search: debounced } : {}), page: String(page), pageSize: String(pageSize) };
  const result = useAnswer((init) => load(pageQuery, init), [debounced, page, pageSize, ...deps]);
  return { ...result, search, setSearch, page, setPage, pageSize };
}

/**
 * Runs an admin action: busy flag, a toast on success, the translated error on failure. Returns success.
 * `form` goes to the action's `<Form {...form}>`: refused fields are then shown there, at the fields, and not
 * repeated in a toast.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const formOnScreen = useRef(false);
  const claim = useCallback((claimed: boolean) => void (formOnScreen.current = claimed), []);
  const run = useCallback(async (action: () => Promise<unknown>, successText?: string): Promise<boolean> => {
    setBusy(true);
    setFailure(null);
    try {
      await action();
      if (successText) showToast(successText);
      return true;
    } catch (failure) {
      setFailure(failure);
      if (formOnScreen.current && refusalsOf(failure).length > 0) clearErrorToasts();
      else showToast(describeError(failure), 'error');
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, run, form: { failure, claim } };
}
