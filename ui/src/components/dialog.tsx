/**
 * In-app dialogs: a modal on the native <dialog> element (the rest of the page inert, Escape closes) that also keeps
 * Tab inside itself, names itself by its heading (aria-labelledby) and gives focus back to where it came from; and
 * `confirmDialog`, the promise-returning confirmation every page uses instead of `window.confirm`. A dialog whose
 * content may not be dropped unasked (a secret shown once) asks first: its content calls `useAskBeforeClosing`.
 */
import type { ComponentChildren } from 'preact';
import { createContext, render } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
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

/** Asked when the user closes a dialog (Escape, the close button): true lets it close, false keeps it open. */
export type CloseQuestion = () => boolean | Promise<boolean>;

/** How content registers its question with the dialog around it; returns the unregistration. */
const CloseQuestions = createContext<((question: CloseQuestion) => () => void) | null>(null);

/**
 * From inside a Dialog's content: while `ask` is given, closing the dialog by Escape or its close button asks it
 * first. Closing by the page itself (open={false}, after a form is done) does not ask.
 */
export function useAskBeforeClosing(ask: CloseQuestion | null): void {
  const register = useContext(CloseQuestions);
  const latest = useRef(ask);
  latest.current = ask;
  const asking = ask !== null;
  useEffect(() => {
    if (!register || !asking) return;
    return register(() => latest.current?.() ?? true);
  }, [register, asking]);
}

export function Dialog(props: {
  title: ComponentChildren;
  open: boolean;
  onClose: () => void;
  children: ComponentChildren;
  role?: 'dialog' | 'alertdialog';
  describedBy?: string;
}) {
  const t = useTranslator(dialogStrings);
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useDialogId('title');
  const opener = useRef<Element | null>(null);
  const registered = useRef<CloseQuestion | null>(null);
  const register = useCallback((question: CloseQuestion) => {
    registered.current = question;
    return () => {
      if (registered.current === question) registered.current = null;
    };
  }, []);
  const latestProps = useRef(props);
  latestProps.current = props;
  const questionOpen = useRef(false);
  const question = () => registered.current;
  /** The user's close: asked first when a question is set; one question at a time (Escape held down repeats). */
  const requestClose = async () => {
    const ask = question();
    if (ask) {
      if (questionOpen.current) return;
      questionOpen.current = true;
      try {
        if (!(await ask())) return;
      } finally {
        questionOpen.current = false;
      }
    }
    latestProps.current.onClose();
  };
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
      onKeyDown={(event) => {
        // Escape's default closes the modal at once, before any cancel handler could wait for an answer. Not for
        // an Escape meant for a dialog opened inside this one.
        const own = (event.target as Element | null)?.closest('dialog') === event.currentTarget;
        if (event.key === 'Escape' && own && !event.defaultPrevented && question()) {
          event.preventDefault();
          void requestClose();
        }
        trapTab(event);
      }}
      // Other close requests (a platform's back gesture) reach the dialog as its cancel event.
      onCancel={(event) => {
        if (!question()) return;
        event.preventDefault();
        void requestClose();
      }}
      onClose={() => {
        if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
        props.onClose();
      }}
    >
      <header>
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" class="close" aria-label={t('close')} onClick={() => void requestClose()}>
          <CrossIcon size={20} />
        </button>
      </header>
      <CloseQuestions.Provider value={register}>{props.open ? props.children : null}</CloseQuestions.Provider>
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
