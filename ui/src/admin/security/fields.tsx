/**
 * Form fields of the security page that carry the server's error for their path (`sms.primary.baseUrl`,
 * `templates.de.sms`, ...) right under the input, and the write-only secret field that says whether a secret is
 * stored without ever showing it.
 */
import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useId } from 'preact/hooks';
import { ApiError } from '../../lib/api';
import { SCHEMA_ISSUE_CODES, type FieldIssue as SharedFieldIssue } from '../../../../worker/contract/field-issues';
import { describeFieldIssue } from '../../lib/error-texts';
import { currentLanguage, translator, useTranslator } from '../../lib/i18n';
import type { SettingsProblem } from '../../../../worker/messaging/settings';
import type { TemplateProblem } from '../../../../worker/messaging/templates';
import { securityStrings } from './strings';

/** `details.issues` of a VALIDATION_FAILED / TEMPLATE_INVALID answer to a messaging save. */
export type FieldIssue = SettingsProblem;

/** The field errors of a failed save, by path; `clear` when the admin edits that field again. */
export interface ErrorBag {
  get(path: string): string | undefined;
  clear(path: string): void;
}

/** zod's own issue codes: the server's sentence for them is zod's ("Too small: expected string …"), no text for people. */
const SCHEMA_CODES: ReadonlySet<string> = new Set(SCHEMA_ISSUE_CODES.filter((code) => code !== 'custom'));

/** The field issues of a failed save; those with a code we know are said in the admin's language. */
export function issuesOf(failure: unknown): FieldIssue[] {
  if (!(failure instanceof ApiError)) return [];
  const details = failure.details as { issues?: FieldIssue[] } | undefined;
  if (!Array.isArray(details?.issues)) return [];
  // English keeps the server's own sentence where it names the host or the value (the provider URL checks); zod's
  // codes, a template's problems and every code in German are said from the catalogues.
  const language = currentLanguage();
  const t = translator(securityStrings);
  return details.issues
    .filter((issue) => typeof issue?.path === 'string')
    .map((issue) => {
      if (issue.problems?.length) return { ...issue, message: issue.problems.map((problem) => templateProblemText(problem, t)).join(' ') };
      if (issue.code && (language !== 'en' || SCHEMA_CODES.has(issue.code))) return { ...issue, message: describeFieldIssue(issue as SharedFieldIssue, language) };
      return issue;
    });
}

/** One problem of a message template, in the page's language, where it is and what to do. */
export function templateProblemText(problem: TemplateProblem, t: (key: string, values?: Record<string, string | number>) => string): string {
  const braced = (name: string) => `{{${name}}}`;
  if (problem.kind === 'missing_placeholder') {
    return t('templateMissingPlaceholder', { placeholders: problem.placeholder.split('|').map(braced).join(` ${t('or')} `) });
  }
  return t(problem.kind === 'unknown_placeholder' ? 'templateUnknownPlaceholder' : 'templateUnclosedPlaceholder', { placeholder: braced(problem.placeholder), line: problem.line, column: problem.column });
}

export function FieldError({ id, error }: { id?: string; error?: string | string[] }) {
  const list = (Array.isArray(error) ? error : error ? [error] : []).filter(Boolean);
  if (list.length === 0) return null;
  return (
    <ul class="problems" id={id} data-field-error="">
      {list.map((text, i) => (
        <li key={i}>{text}</li>
      ))}
    </ul>
  );
}

export function Field(props: {
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | string[];
  hint?: ComponentChildren;
  type?: string;
  name?: string;
  multiline?: boolean;
  rows?: number;
  placeholder?: string;
  autocomplete?: string;
  inputMode?: string;
  disabled?: boolean;
  monospace?: boolean;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hasError = Boolean(Array.isArray(props.error) ? props.error.length : props.error);
  const common = {
    id,
    name: props.name,
    value: props.value,
    placeholder: props.placeholder,
    disabled: props.disabled,
    class: props.monospace ? 'mono' : undefined,
    'aria-invalid': hasError ? 'true' : undefined,
    'aria-describedby': hasError ? errorId : undefined,
  } as const;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea {...common} rows={props.rows ?? 4} onInput={(event) => props.onValue((event.currentTarget as HTMLTextAreaElement).value)} />
      ) : (
        <input
          {...common}
          // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Preact 11 types `type` as a union tied to `role`, which a string prop cannot name
          type={(props.type ?? 'text') as any}
          autocomplete={props.autocomplete}
          inputMode={props.inputMode as InputHTMLAttributes<HTMLInputElement>['inputMode']}
          onInput={(event) => props.onValue((event.currentTarget as HTMLInputElement).value)}
        />
      )}
      {props.hint ? <small class="hint">{props.hint}</small> : null}
      <FieldError id={errorId} error={props.error} />
    </div>
  );
}

export function Select<T extends string>(props: {
  label: string;
  value: T;
  onValue: (value: T) => void;
  options: Array<{ value: T; label: string; disabled?: boolean }>;
  error?: string;
  hint?: ComponentChildren;
  name?: string;
}) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} value={props.value} aria-invalid={props.error ? 'true' : undefined} onChange={(event) => props.onValue((event.currentTarget as HTMLSelectElement).value as T)}>
        {props.options.map((option) => (
          <option key={option.value} value={option.value} disabled={option.disabled}>
            {option.label}
          </option>
        ))}
      </select>
      {props.hint ? <small class="hint">{props.hint}</small> : null}
      <FieldError error={props.error} />
    </div>
  );
}

/**
 * A write-only secret: empty means "keep what is stored". The stored value is never shown (not even masked),
 * only whether there is one.
 */
export function SecretField(props: { label: string; value: string; onValue: (value: string) => void; isSet: boolean; error?: string; name?: string }) {
  const t = useTranslator(securityStrings);
  return (
    <Field
      label={props.label}
      name={props.name}
      type="password"
      autocomplete="new-password"
      value={props.value}
      onValue={props.onValue}
      error={props.error}
      placeholder={props.isSet ? t('secretKeepPlaceholder') : ''}
      hint={
        <>
          <span class={`pill ${props.isSet ? 'ok' : 'off'}`}>{props.isSet ? t('secretSet') : t('secretNotSet')}</span>{' '}
          {props.isSet ? t('secretSetHint') : t('secretNotSetHint')}
        </>
      }
    />
  );
}

/**
 * The summary of a refused save: the server's message, or how many fields refused (each says why at itself, so
 * their texts are not repeated here).
 */
export function SaveRefusal({ error, issues, testId }: { error: string; issues: FieldIssue[]; testId: string }) {
  const t = useTranslator(securityStrings);
  if (!error) return null;
  return (
    <div class="alert error" role="alert" data-testid={testId}>
      <strong>{issues.length > 0 ? t(issues.length === 1 ? 'saveRefusedOne' : 'saveRefused', { count: issues.length }) : error}</strong> {t('nothingSaved')}
    </div>
  );
}
