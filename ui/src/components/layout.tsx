/** Page furniture: the centred card of the sign-in pages, tabs, and a language switch (dialogs: ./dialog). */
import type { ComponentChildren } from 'preact';
import { setLanguage, useLanguage } from '../lib/i18n';

export { Dialog } from './dialog';

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
