/** Form building blocks shared by every surface: labelled fields, buttons with a busy state, messages. */
import type { ButtonHTMLAttributes, ComponentChildren, InputHTMLAttributes } from 'preact';
import { useId } from 'preact/hooks';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'onInput' | 'value' | 'label'> & {
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: ComponentChildren;
  type?: string;
  name?: string;
  autocomplete?: string;
  required?: boolean;
  disabled?: boolean;
  inputMode?: string;
  pattern?: string;
  maxLength?: number;
  placeholder?: string;
  autoFocus?: boolean;
};

export function TextField({ label, value, onValue, hint, ...rest }: InputProps) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} value={value} onInput={(event) => onValue((event.currentTarget as HTMLInputElement).value)} {...(rest as any)} />
      {hint ? <small class="hint">{hint}</small> : null}
    </div>
  );
}

export function SelectField<T extends string>(props: {
  label: string;
  value: T;
  onValue: (value: T) => void;
  options: Array<{ value: T; label: string }>;
  name?: string;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} value={props.value} disabled={props.disabled} onChange={(event) => props.onValue((event.currentTarget as HTMLSelectElement).value as T)}>
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function Checkbox(props: { label: ComponentChildren; checked: boolean; onChecked: (checked: boolean) => void; name?: string; disabled?: boolean }) {
  return (
    <label class="checkbox">
      <input type="checkbox" name={props.name} checked={props.checked} disabled={props.disabled} onChange={(event) => props.onChecked((event.currentTarget as HTMLInputElement).checked)} />
      <span>{props.label}</span>
    </label>
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
