/** Admin list furniture: search box, paged table, confirm-before-delete. */
import type { ComponentChildren } from 'preact';
import { TextField } from '../components/form';
import { useTranslator } from '../lib/i18n';
import { adminStrings } from './strings';

export function SearchBox(props: { value: string; onValue: (value: string) => void; label?: string }) {
  const t = useTranslator(adminStrings);
  return <TextField label={props.label ?? t('search')} type="search" value={props.value} onValue={props.onValue} name="search" />;
}

export function Pager(props: { page: number; pageSize: number; total: number; onPage: (page: number) => void }) {
  const t = useTranslator(adminStrings);
  const pages = Math.max(1, Math.ceil(props.total / props.pageSize));
  return (
    <div class="pager">
      <span>{t('pageOf', { page: props.page, pages, total: props.total })}</span>
      <button type="button" class="icon-button" disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)} aria-label={t('previous')}>
        ‹
      </button>
      <button type="button" class="icon-button" disabled={props.page >= pages} onClick={() => props.onPage(props.page + 1)} aria-label={t('next')}>
        ›
      </button>
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted">{children}</p>;
}

export function confirmAction(text: string): boolean {
  return window.confirm(text);
}

export function PageHeader({ title, children }: { title: ComponentChildren; children?: ComponentChildren }) {
  return (
    <div class="row">
      <h1>{title}</h1>
      <span class="spacer" />
      {children}
    </div>
  );
}
