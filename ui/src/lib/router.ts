/**
 * A tiny History API router: the app is small enough that a dependency would cost more bytes than it saves.
 * Each navigation is one history entry, so Back always goes back one page; a page with unsaved changes registers a
 * guard (`useLeaveGuard`) that is asked before any in-app navigation, Back included, and before the tab unloads.
 */
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

/**
 * Asked before leaving the page; resolves true when the user agrees to leave. A page may hold several forms, each
 * with its own guard while it has unsaved edits; leaving asks once (the newest guard) however many are dirty, and
 * agreeing releases them all, since the whole page goes.
 */
type LeaveGuard = () => Promise<boolean>;
const leaveGuards = new Set<LeaveGuard>();

function newestGuard(): LeaveGuard | undefined {
  return [...leaveGuards].at(-1);
}

function href(): string {
  return location.pathname + location.search + location.hash;
}

function notify(): void {
  listeners.forEach((listener) => listener());
}

async function mayLeave(): Promise<boolean> {
  const guard = newestGuard();
  if (!guard) return true;
  const agreed = await guard();
  if (agreed) leaveGuards.clear();
  return agreed;
}

/** Goes to `to`; `force` skips the unsaved-changes guard (after saving or deleting, nothing is left unsaved). */
export function navigate(to: string, options: { replace?: boolean; force?: boolean } = {}): void {
  if (options.force) leaveGuards.clear();
  if (leaveGuards.size === 0) return go(to, options.replace);
  void mayLeave().then((agreed) => agreed && go(to, options.replace));
}

function go(to: string, replace = false): void {
  const target = new URL(to, location.href);
  const targetHref = target.pathname + target.search + target.hash;
  // A second navigation to where we already are (a link inside a clickable row fires both) adds no entry, or the
  // first Back would seem to do nothing.
  if (replace || targetHref === href()) history.replaceState(null, '', targetHref);
  else history.pushState(null, '', targetHref);
  notify();
  window.scrollTo(0, 0);
}

/** Where the app is now, for undoing a Back the user then declines to take. */
let shownHref = typeof location === 'undefined' ? '' : href();
listeners.add(() => void (shownHref = href()));

window.addEventListener('popstate', () => {
  if (leaveGuards.size === 0) return notify();
  // The browser has already moved; put the page back until the user decides. Agreeing goes back again, to where
  // Back pointed, and that popstate finds no guard.
  history.pushState(null, '', shownHref);
  void mayLeave().then((agreed) => agreed && history.back());
});

window.addEventListener('beforeunload', (event) => {
  if (leaveGuards.size === 0) return;
  event.preventDefault();
  // Older Chromium needs returnValue set to show its own prompt; the text is the browser's, not ours.
  event.returnValue = '';
});

/**
 * While `dirty`, leaving the page (links, Back, closing the tab) asks `ask` first. The page passes its in-app
 * confirmation; the browser shows its own prompt for closing or reloading the tab, as browsers allow no other.
 */
export function useLeaveGuard(dirty: boolean, ask: () => Promise<boolean>): void {
  useEffect(() => {
    if (!dirty) return;
    // A wrapper of its own, so two forms passing the same `ask` still hold two places in the set.
    const guard: LeaveGuard = () => ask();
    leaveGuards.add(guard);
    return () => void leaveGuards.delete(guard);
  }, [dirty, ask]);
}

export interface Location {
  path: string;
  search: URLSearchParams;
}

function current(): Location {
  return { path: location.pathname, search: new URLSearchParams(location.search) };
}

export function useLocation(): Location {
  const [value, setValue] = useState(current);
  useEffect(() => {
    const listener = () => setValue(current());
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return value;
}

/** Matches `/admin/users/:id` style patterns; returns the parameters or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const patternParts = pattern.split('/').filter(Boolean);
  const pathParts = path.split('/').filter(Boolean);
  if (patternParts.length !== pathParts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < patternParts.length; i++) {
    const expected = patternParts[i]!;
    const actual = pathParts[i]!;
    if (expected.startsWith(':')) params[expected.slice(1)] = decodeURIComponent(actual);
    else if (expected !== actual) return null;
  }
  return params;
}

/** An in-app link: plain `<a href>` for the browser (open in new tab works), client-side navigation on click. */
export function onLinkClick(event: MouseEvent): void {
  const anchor = event.currentTarget as HTMLAnchorElement;
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || anchor.target) return;
  event.preventDefault();
  navigate(anchor.getAttribute('href')!);
}
