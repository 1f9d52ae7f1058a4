/** A button that copies a value (a token secret, a link) to the clipboard and says so for a moment. */
import { useEffect, useState } from 'preact/hooks';
import { useTranslator } from '../lib/i18n';
import { CheckIcon, CopyIcon } from './icons';

const copyStrings = {
  en: { copy: 'Copy', copied: 'Copied', copyFailed: 'Copying failed: select the text and copy it yourself.' },
  de: { copy: 'Kopieren', copied: 'Kopiert', copyFailed: 'Kopieren fehlgeschlagen: Markieren und kopieren Sie den Text selbst.' },
};

const COPIED_SHOWN_MS = 2000;

export function CopyButton({ value, label }: { value: string; label?: string }) {
  const t = useTranslator(copyStrings);
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state !== 'copied') return;
    const timer = setTimeout(() => setState('idle'), COPIED_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <>
      <button
        type="button"
        class="icon-button"
        aria-label={label ?? t('copy')}
        title={label ?? t('copy')}
        onClick={() =>
          navigator.clipboard.writeText(value).then(
            () => setState('copied'),
            () => setState('failed'),
          )
        }
      >
        {state === 'copied' ? <CheckIcon /> : <CopyIcon />} {state === 'copied' ? t('copied') : t('copy')}
      </button>
      <span role="status" class="muted">
        {state === 'failed' ? t('copyFailed') : ''}
      </span>
    </>
  );
}
