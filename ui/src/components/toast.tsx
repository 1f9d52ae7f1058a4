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

export function showToast(text: string, kind: Toast['kind'] = 'success'): void {
  const toast = { id: nextId++, kind, text };
  toasts = [...toasts, toast];
  listeners.forEach((listener) => listener());
  setTimeout(() => {
    toasts = toasts.filter((t) => t.id !== toast.id);
    listeners.forEach((listener) => listener());
  }, TOAST_DURATION_MS);
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
