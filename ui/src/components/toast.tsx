/** Short-lived notices ("OTP is valid", "Saved") shown in a corner, announced to screen readers. */
import { useEffect, useState } from 'preact/hooks';

interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  text: string;
}

let nextId = 1;
let toasts: Toast[] = [];
const listeners = new Set<() => void>();
const TOAST_DURATION_MS = 5000;

function notify(): void {
  listeners.forEach((listener) => listener());
}

/**
 * A success ends the error notices still on screen: they were about an earlier attempt, and a red "failed" beside
 * a green "Saved" would leave the reader guessing which one holds.
 */
export function showToast(text: string, kind: Toast['kind'] = 'success'): void {
  const toast = { id: nextId++, kind, text };
  toasts = [...(kind === 'success' ? toasts.filter((t) => t.kind !== 'error') : toasts), toast];
  notify();
  setTimeout(() => {
    toasts = toasts.filter((t) => t.id !== toast.id);
    notify();
  }, TOAST_DURATION_MS);
}

/** Ends the error notices: a form that shows its refusals at the fields has no use for a toast repeating them. */
export function clearErrorToasts(): void {
  if (!toasts.some((t) => t.kind === 'error')) return;
  toasts = toasts.filter((t) => t.kind !== 'error');
  notify();
}

export function Toasts() {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const listener = () => setVersion((v) => v + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return (
    <div class="toasts" aria-live="polite">
      {toasts.map((toast) => (
        <div key={toast.id} class={`toast ${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'}>
          {toast.text}
        </div>
      ))}
    </div>
  );
}
