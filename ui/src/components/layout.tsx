/** Page furniture: the centred card of the sign-in pages, tabs, dialogs, and a language switch. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { setLanguage, useLanguage } from '../lib/i18n';

export function Card({ title, children, wide }: { title: ComponentChildren; children: ComponentChildren; wide?: boolean }) {
  return (
    <main class={`card-page ${wide ? 'wide' : ''}`}>
      <section class="card">
        <h1>{title}</h1>
        {children}
      </section>
      <LanguageSwitch />
    </main>
  );
}

export function LanguageSwitch() {
  const language = useLanguage();
  return (
    <div class="language-switch" role="group" aria-label="Language / Sprache">
      <button type="button" class={language === 'de' ? 'active' : ''} aria-pressed={language === 'de'} onClick={() => setLanguage('de')}>
        Deutsch
      </button>
      <button type="button" class={language === 'en' ? 'active' : ''} aria-pressed={language === 'en'} onClick={() => setLanguage('en')}>
        English
      </button>
    </div>
  );
}

export function Tabs<T extends string>(props: { tabs: Array<{ id: T; label: ComponentChildren }>; active: T; onSelect: (id: T) => void }) {
  return (
    <div class="tabs" role="tablist">
      {props.tabs.map((tab) => (
        <button key={tab.id} type="button" role="tab" aria-selected={tab.id === props.active} class={tab.id === props.active ? 'active' : ''} onClick={() => props.onSelect(tab.id)}>
          {tab.label}
        </button>
      ))}
    </div>
  );
}

/** A modal on the native <dialog> element: focus trapping and Escape come with it. */
export function Dialog(props: { title: ComponentChildren; open: boolean; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class="dialog" onClose={props.onClose} aria-label={typeof props.title === 'string' ? props.title : undefined}>
      <header>
        <h2>{props.title}</h2>
        <button type="button" class="close" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      {props.open ? props.children : null}
    </dialog>
  );
}
