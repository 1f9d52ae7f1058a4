/** Admin list furniture: search box, pager, page header, and the in-app confirmation before a destructive action. */
import type { ComponentChildren } from 'preact';
import { confirmDialog } from '../components/dialog';
import { TextField } from '../components/form';
import { ChevronLeftIcon, ChevronRightIcon } from '../components/icons';
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
        <ChevronLeftIcon />
      </button>
      <button type="button" class="icon-button" disabled={props.page >= pages} onClick={() => props.onPage(props.page + 1)} aria-label={t('next')}>
        <ChevronRightIcon />
      </button>
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted">{children}</p>;
}

/** Asks in an in-app dialog before a destructive action; `confirmLabel` names the action ("Delete"). */
export function confirmAction(text: string, confirmLabel?: string): Promise<boolean> {
  return confirmDialog({ title: text, confirmLabel, danger: true });
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
