/**
 * Loads a surface's chunk on demand (admin center, portal, profile): the sign-in page never downloads them.
 */
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export function lazyPage<P extends object>(load: () => Promise<{ default: ComponentType<P> }>) {
  let cached: ComponentType<P> | null = null;
  return function LazyPage(props: P) {
    const [component, setComponent] = useState<ComponentType<P> | null>(() => cached);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (cached) return;
      load()
        .then((module) => {
          cached = module.default;
          setComponent(() => module.default);
        })
        .catch(() => setFailed(true));
    }, []);
    if (failed) return <p class="page-error">This page could not be loaded. Check your connection and reload.</p>;
    if (!component) return <div class="loading" aria-busy="true" />;
    const Component = component;
    return <Component {...props} />;
  };
}
