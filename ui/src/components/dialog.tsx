/**
 * In-app dialogs: a modal on the native <dialog> element (the rest of the page inert, Escape closes) that also keeps
 * Tab inside itself, names itself by its heading (aria-labelledby) and gives focus back to where it came from; and
 * `confirmDialog`, the promise-returning confirmation every page uses instead of `window.confirm`.
 */
import type { ComponentChildren } from 'preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useTranslator } from '../lib/i18n';
import { CrossIcon } from './icons';

const dialogStrings = {
  en: { close: 'Close', cancel: 'Cancel', confirm: 'OK' },
  de: { close: 'Schließen', cancel: 'Abbrechen', confirm: 'OK' },
};

/**
 * Ids for aria-labelledby/-describedby. Not useId: confirmDialog renders in a root of its own, and useId counts
 * per root, so its ids repeated those of the page behind it.
 */
let lastDialogId = 0;
const useDialogId = (part: string) => useState(() => `dialog-${part}-${++lastDialogId}`)[0];

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Tab and Shift+Tab wrap around inside the dialog instead of reaching the browser's address bar. */
function trapTab(event: KeyboardEvent): void {
  if (event.key !== 'Tab') return;
  const dialog = event.currentTarget as HTMLElement;
  const focusable = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((element) => element.offsetParent !== null);
  if (focusable.length === 0) return;
  const first = focusable[0]!;
  const last = focusable[focusable.length - 1]!;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

export function Dialog(props: { title: ComponentChildren; open: boolean; onClose: () => void; children: ComponentChildren; role?: 'dialog' | 'alertdialog'; describedBy?: string }) {
  const t = useTranslator(dialogStrings);
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useDialogId('title');
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      opener.current = document.activeElement;
      dialog.showModal();
    }
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      class="dialog"
      role={props.role ?? 'dialog'}
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={props.describedBy}
      onKeyDown={trapTab}
      onClose={() => {
        if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
        props.onClose();
      }}
    >
      <header>
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" class="close" aria-label={t('close')} onClick={props.onClose}>
          <CrossIcon size={20} />
        </button>
      </header>
      {props.open ? props.children : null}
    </dialog>
  );
}

export interface ConfirmOptions {
  title: string;
  text?: string;
  /** The label of the button that goes ahead ("Delete"); names the action instead of a bare OK. */
  confirmLabel?: string;
  danger?: boolean;
}

function ConfirmDialog({ options, onAnswer }: { options: ConfirmOptions; onAnswer: (agreed: boolean) => void }) {
  const t = useTranslator(dialogStrings);
  const textId = useDialogId('text');
  const answered = useRef(false);
  const cancel = useRef<HTMLButtonElement>(null);
  // Runs after the inner Dialog's showModal (child effects first): Enter on an unread dialog must not go ahead.
  useEffect(() => cancel.current?.focus(), []);
  const answer = (agreed: boolean) => {
    if (answered.current) return;
    answered.current = true;
    onAnswer(agreed);
  };
  return (
    <Dialog title={options.title} open role="alertdialog" describedBy={options.text ? textId : undefined} onClose={() => answer(false)}>
      <div class="stack">
        {options.text ? <p id={textId}>{options.text}</p> : null}
        <div class="row end">
          <button ref={cancel} type="button" class="button secondary" onClick={() => answer(false)}>
            {t('cancel')}
          </button>
          <button type="button" class={`button ${options.danger ? 'danger' : 'primary'}`} onClick={() => answer(true)}>
            {options.confirmLabel ?? t('confirm')}
          </button>
        </div>
      </div>
    </Dialog>
  );
}

/** Asks in an in-app modal; resolves true when the user confirms, false on Cancel, Escape or the close button. */
export function confirmDialog(options: ConfirmOptions | string): Promise<boolean> {
  const resolved = typeof options === 'string' ? { title: options } : options;
  const opener = document.activeElement;
  const host = document.createElement('div');
  document.body.appendChild(host);
  return new Promise((resolve) => {
    render(
      <ConfirmDialog
        options={resolved}
        onAnswer={(agreed) => {
          render(null, host);
          host.remove();
          if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
          resolve(agreed);
        }}
      />,
      host,
    );
  });
}
