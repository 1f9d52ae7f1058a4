/**
 * Form building blocks shared by every surface: one field component (label, hint, error, tied together with
 * `aria-describedby`), buttons with a busy state, messages, and `Form`, which shows the server's refusals at the
 * fields they concern, in the page's language (texts: ui/src/lib/error-texts.ts).
 */
import type { ButtonHTMLAttributes, ComponentChildren, FormHTMLAttributes, InputHTMLAttributes } from 'preact';
import { createContext } from 'preact';
import { useContext, useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ERROR_FIELDS } from '../../../worker/contract/errors';
import { ApiError } from '../lib/api';
import { describeFieldIssue, describeRules, ERROR_TEXTS, type FieldRules } from '../lib/error-texts';
import { useLanguage, type Language } from '../lib/i18n';

export type { FieldRules };

// ---------------------------------------------------------------- the refusals of a form's last submit

/** One refusal to show at a field: a FieldIssue of VALIDATION_FAILED, or an error that concerns one field (LOGIN_TAKEN). */
interface PlacedRefusal {
  path: string;
  text: (language: Language) => string;
}

/** The refusals of a failed call that concern fields; none for a failure that concerns the form as a whole. */
export function refusalsOf(failure: unknown): PlacedRefusal[] {
  if (!(failure instanceof ApiError)) return [];
  const issues = failure.fieldIssues;
  if (issues.length > 0) return issues.map((issue) => ({ path: issue.path, text: (language) => describeFieldIssue(issue, language) }));
  if (!Object.hasOwn(ERROR_FIELDS, failure.code)) return [];
  const code = failure.code as keyof typeof ERROR_FIELDS;
  const path = ERROR_FIELDS[code];
  return [{ path, text: (language) => (language === 'de' ? ERROR_TEXTS.de[code] : failure.message) }];
}

interface FieldErrorsScope {
  errorFor(path: string): string | undefined;
  /** A field says it is on screen (so its refusal is not repeated in the form's summary); returns the undo. */
  register(path: string): () => void;
  /** The user edits the field: its refusal is answered. */
  dismiss(path: string): void;
}

const FieldErrors = createContext<FieldErrorsScope | null>(null);

type FormProps = Omit<FormHTMLAttributes<HTMLFormElement>, 'onSubmit'> & {
  /** The last submit's failure (an ApiError), or null. */
  failure: unknown;
  /** Told whether this form is on screen, so the action runner leaves field refusals to it instead of a toast. */
  claim?: (claimed: boolean) => void;
  onSubmit: (event: Event) => void;
  children: ComponentChildren;
};

/**
 * A form that shows its last failure at the fields it concerns (each field finds its refusal by its `name`, or its
 * `errorPath` where the server's path differs); refusals for fields not on screen are listed at the end of the form.
 */
export function Form({ failure, claim, children, ...rest }: FormProps) {
  const language = useLanguage();
  const refusals = useMemo(() => refusalsOf(failure), [failure]);
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const registered = useRef(new Map<string, number>());
  const [, setFieldsVersion] = useState(0);
  useEffect(() => setDismissed(new Set()), [failure]);
  useEffect(() => {
    claim?.(true);
    return () => claim?.(false);
  }, [claim]);

  const scope = useMemo<FieldErrorsScope>(
    () => ({
      errorFor: (path) => {
        if (dismissed.has(path)) return undefined;
        const texts = refusals.filter((refusal) => refusal.path === path).map((refusal) => refusal.text(language));
        return texts.length > 0 ? [...new Set(texts)].join(' ') : undefined;
      },
      register: (path) => {
        registered.current.set(path, (registered.current.get(path) ?? 0) + 1);
        setFieldsVersion((v) => v + 1);
        return () => {
          registered.current.set(path, (registered.current.get(path) ?? 1) - 1);
          setFieldsVersion((v) => v + 1);
        };
      },
      dismiss: (path) => setDismissed((before) => (before.has(path) ? before : new Set([...before, path]))),
    }),
    [refusals, dismissed, language],
  );
  const elsewhere = refusals.filter((refusal) => !registered.current.get(refusal.path) && !dismissed.has(refusal.path));
  return (
    <FieldErrors.Provider value={scope}>
      {/* noValidate: the browser's own bubbles would speak its language and hide the rule; the server's refusal,
          shown at the field in the page's language, says it instead. */}
      <form noValidate {...(rest as FormHTMLAttributes<HTMLFormElement>)}>
        {children}
        {elsewhere.length > 0 ? (
          <div class="alert error" role="alert">
            <ul class="problems">
              {elsewhere.map((refusal, i) => (
                <li key={i}>{refusal.path ? `${refusal.path}: ${refusal.text(language)}` : refusal.text(language)}</li>
              ))}
            </ul>
          </div>
        ) : null}
      </form>
    </FieldErrors.Provider>
  );
}

/** The refusal for this field from the enclosing Form, if any; registering it there. */
function useFieldError(path: string | undefined): { error: string | undefined; dismiss: () => void } {
  const scope = useContext(FieldErrors);
  useLayoutEffect(() => (scope && path ? scope.register(path) : undefined), [scope?.register, path]);
  return { error: scope && path ? scope.errorFor(path) : undefined, dismiss: () => scope && path && scope.dismiss(path) };
}

// ---------------------------------------------------------------- the field

export interface FieldFrameProps {
  label: ComponentChildren;
  /** Said before anyone types: the limits (from `rules`) and anything else worth knowing. */
  hint?: ComponentChildren;
  rules?: FieldRules;
  /** An error found by the page itself (before sending); the Form's refusal for this field otherwise. */
  error?: string;
  /** The server's path for this field where it differs from the input's name. */
  errorPath?: string;
  name?: string;
  class?: string;
}

/**
 * Label, control, hint and error for every form. `control` receives the id and the `aria-*` attributes that tie
 * the hint and the error to it.
 */
export function FieldFrame(props: FieldFrameProps & { control: (ids: ControlIds) => ComponentChildren; onEdit?: (dismiss: () => void) => void }) {
  const language = useLanguage();
  const id = useId();
  const fromForm = useFieldError(props.errorPath ?? props.name);
  const error = props.error || fromForm.error;
  const rulesText = props.rules ? describeRules(props.rules, language) : '';
  const hasHint = Boolean(props.hint) || Boolean(rulesText);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hasHint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' invalid' : ''}${props.class ? ` ${props.class}` : ''}`}>
      <label for={id}>{props.label}</label>
      {props.control({ id, describedBy, invalid: Boolean(error), dismiss: fromForm.dismiss })}
      {hasHint ? (
        <small class="hint" id={hintId}>
          {props.hint}
          {props.hint && rulesText ? ' ' : null}
          {rulesText}
        </small>
      ) : null}
      {error ? (
        <small class="field-error" id={errorId} data-field-error="">
          {error}
        </small>
      ) : null}
    </div>
  );
}

export interface ControlIds {
  id: string;
  describedBy: string | undefined;
  invalid: boolean;
  dismiss: () => void;
}

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'onInput' | 'value' | 'label'> &
  Omit<FieldFrameProps, 'label'> & {
    label: string;
    value: string;
    onValue: (value: string) => void;
    type?: string;
    autocomplete?: string;
    required?: boolean;
    disabled?: boolean;
    inputMode?: string;
    pattern?: string;
    maxLength?: number;
    placeholder?: string;
    autoFocus?: boolean;
  };

export function TextField({ label, value, onValue, hint, rules, error, errorPath, name, ...rest }: InputProps) {
  return (
    <FieldFrame
      label={label}
      hint={hint}
      rules={rules}
      error={error}
      errorPath={errorPath}
      name={name}
      control={(ids) => (
        <input
          id={ids.id}
          name={name}
          value={value}
          aria-describedby={ids.describedBy}
          aria-invalid={ids.invalid ? 'true' : undefined}
          maxLength={rules?.maxLength}
          onInput={(event) => {
            ids.dismiss();
            onValue((event.currentTarget as HTMLInputElement).value);
          }}
          {...(rest as InputHTMLAttributes<HTMLInputElement>)}
        />
      )}
    />
  );
}

export function SelectField<T extends string>(
  props: Omit<FieldFrameProps, 'label' | 'rules'> & {
    label: string;
    value: T;
    onValue: (value: T) => void;
    options: Array<{ value: T; label: string; disabled?: boolean }>;
    disabled?: boolean;
  },
) {
  return (
    <FieldFrame
      label={props.label}
      hint={props.hint}
      error={props.error}
      errorPath={props.errorPath}
      name={props.name}
      control={(ids) => (
        <select
          id={ids.id}
          name={props.name}
          value={props.value}
          disabled={props.disabled}
          aria-describedby={ids.describedBy}
          aria-invalid={ids.invalid ? 'true' : undefined}
          onChange={(event) => {
            ids.dismiss();
            props.onValue((event.currentTarget as HTMLSelectElement).value as T);
          }}
        >
          {props.options.map((option) => (
            <option key={option.value} value={option.value} disabled={option.disabled}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    />
  );
}

export function Checkbox(props: { label: ComponentChildren; checked: boolean; onChecked: (checked: boolean) => void; name?: string; disabled?: boolean }) {
  const { error, dismiss } = useFieldError(props.name);
  const errorId = useId();
  return (
    <>
      <label class="checkbox">
        <input
          type="checkbox"
          name={props.name}
          checked={props.checked}
          disabled={props.disabled}
          aria-describedby={error ? errorId : undefined}
          aria-invalid={error ? 'true' : undefined}
          onChange={(event) => {
            dismiss();
            props.onChecked((event.currentTarget as HTMLInputElement).checked);
          }}
        />
        <span>{props.label}</span>
      </label>
      {error ? (
        <small class="field-error" id={errorId} data-field-error="">
          {error}
        </small>
      ) : null}
    </>
  );
}

export function Button(props: Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type'> & { busy?: boolean; variant?: 'primary' | 'secondary' | 'danger' | 'link'; type?: 'button' | 'submit' }) {
  const { busy, variant = 'primary', type = 'button', children, disabled, class: className, ...rest } = props;
  return (
    <button type={type} class={`button ${variant} ${className ?? ''}`} disabled={Boolean(disabled) || busy} aria-busy={busy ? 'true' : undefined} {...rest}>
      {children}
    </button>
  );
}

export function Alert({ kind = 'error', children }: { kind?: 'error' | 'success' | 'info' | 'warning'; children: ComponentChildren }) {
  if (!children) return null;
  return (
    <div class={`alert ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}
