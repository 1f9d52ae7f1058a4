/** What every token page shares: its status pill, its kind, and the QR code image. */
import { useTranslator } from '../../lib/i18n';
import { adminStrings } from '../strings';
import { factorStrings } from './strings';
import type { TokenAnswer } from '../../../../worker/tokens/answers';

export const isMessageTokenType = (type: string) => type === 'SMS' || type === 'EMAIL';
/** Tokens without an OTP of their own: no Check OTP (it would use up a recovery code), resync or PIN. */
export const isCeremonyOrCodeSet = (type: string) => type === 'PASSKEY' || type === 'RECOVERY_CODES';

export function TokenStatus({ token }: { token: TokenAnswer }) {
  const t = useTranslator(adminStrings);
  const f = useTranslator(factorStrings);
  if (token.passkey?.suspiciousAt) return <span class="pill bad">{f('suspiciousPill')}</span>;
  if (token.lockedUntil) return <span class="pill bad">{t('locked')}</span>;
  if (!token.enabled) return <span class="pill off">{t('disabled')}</span>;
  if (!token.activated) return <span class="pill">{t('pending')}</span>;
  return <span class="pill ok">{t('active')}</span>;
}

/** The server renders the QR code as SVG; shown as an image so no markup from the answer enters the DOM. */
export function QrCode({ svg, label }: { svg: string; label: string }) {
  return <img class="qr" alt={label} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`} />;
}

