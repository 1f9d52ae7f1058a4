/** What a passkey and a recovery code set show instead of the OTP panels. */
import { useState } from 'preact/hooks';
import { Alert, Button } from '../../components/form';
import { Dialog } from '../../components/dialog';
import { adminApi } from '../../lib/api-client';
import { formatDateTime, useTranslator } from '../../lib/i18n';
import { onLinkClick } from '../../lib/router';
import { adminStrings } from '../strings';
import { useAction } from '../use-data';
import { factorStrings } from './strings';
import type { TokenAnswer } from '../../../../worker/tokens/answers';

/** A PASSKEY token: what the authenticator told us at registration, and how it has been used since. */
export function PasskeyFacts({ token }: { token: TokenAnswer }) {
  const t = useTranslator(adminStrings);
  const f = useTranslator(factorStrings);
  const passkey = token.passkey;
  return (
    <section class="panel">
      <dl class="facts" data-testid="passkey-facts">
        <dt>{t('type')}</dt>
        <dd>{token.type}</dd>
        <dt>{f('passkeyName')}</dt>
        <dd>{token.description || t('none')}</dd>
        <dt>{t('owner')}</dt>
        <dd>{token.owner ? <a href={`/admin/users/${token.owner.id}`} onClick={onLinkClick}>{token.owner.login}</a> : t('none')}</dd>
        {passkey ? (
          <>
            <dt>{f('aaguid')}</dt>
            <dd class="mono">{passkey.aaguid}</dd>
            <dt>{f('transports')}</dt>
            <dd>{passkey.transports.length ? passkey.transports.join(', ') : t('none')}</dd>
            <dt>{f('backedUp')}</dt>
            <dd>
              {passkey.backedUp ? t('yes') : t('no')} ({f(passkey.backupEligible ? 'backupEligible' : 'deviceBound')})
            </dd>
            <dt>{f('signCount')}</dt>
            <dd>{passkey.signCount}</dd>
            <dt>{f('suspicious')}</dt>
            <dd>{passkey.suspiciousAt ? <span class="pill bad">{f('suspiciousSince', { date: formatDateTime(passkey.suspiciousAt) })}</span> : t('no')}</dd>
          </>
        ) : null}
        <dt>{t('created')}</dt>
        <dd>{formatDateTime(token.createdAt)}</dd>
        <dt>{t('lastUsed')}</dt>
        <dd>{formatDateTime(token.lastUsedAt) || '—'}</dd>
      </dl>
    </section>
  );
}


/** A RECOVERY_CODES token: how many codes remain, its fail counter, and "Void codes" behind an in-app confirmation. */
export function RecoveryCodesPanel({ token, onChanged }: { token: TokenAnswer; onChanged: () => void }) {
  const t = useTranslator(adminStrings);
  const f = useTranslator(factorStrings);
  const { busy, run } = useAction();
  const [confirming, setConfirming] = useState(false);
  const codes = token.recoveryCodes ?? { remaining: 0, total: 0, voidedAt: null };
  return (
    <section class="panel stack">
      <p>
        <strong>{f('recoveryCodes', { remaining: codes.remaining, total: codes.total })}</strong>
      </p>
      {codes.voidedAt ? <Alert kind="warning">{f('voidedAt', { date: formatDateTime(codes.voidedAt) })}</Alert> : null}
      <p class="muted">{f('recoveryHint')}</p>
      <dl class="facts">
        <dt>{t('owner')}</dt>
        <dd>{token.owner ? <a href={`/admin/users/${token.owner.id}`} onClick={onLinkClick}>{token.owner.login}</a> : t('none')}</dd>
        <dt>{t('created')}</dt>
        <dd>{formatDateTime(token.createdAt)}</dd>
        <dt>{t('lastUsed')}</dt>
        <dd>{formatDateTime(token.lastUsedAt) || '—'}</dd>
        <dt>{t('failCount')}</dt>
        <dd>
          {token.failCount}
          {token.lockedUntil ? ` · ${t('locked')}: ${formatDateTime(token.lockedUntil)}` : ''}
        </dd>
      </dl>
      <div class="row">
        {codes.remaining > 0 ? (
          <Button variant="danger" busy={busy} onClick={() => setConfirming(true)}>
            {f('voidCodes')}
          </Button>
        ) : null}
        {token.failCount > 0 || token.lockedUntil ? (
          <Button variant="secondary" busy={busy} onClick={() => run(() => adminApi.tokens[':id']['reset-fail-counter'].$post({ param: { id: token.id } }), t('saved')).then(onChanged)}>
            {t('resetFailCounter')}
          </Button>
        ) : null}
      </div>
      <Dialog title={f('voidTitle')} open={confirming} onClose={() => setConfirming(false)}>
        <div class="stack">
          <p>{f('voidText', { remaining: codes.remaining })}</p>
          <div class="row end">
            <Button variant="secondary" onClick={() => setConfirming(false)}>
              {t('cancel')}
            </Button>
            <Button
              variant="danger"
              busy={busy}
              onClick={async () => {
                if (await run(() => adminApi.tokens[':id'].void.$post({ param: { id: token.id } }), f('voided'))) {
                  setConfirming(false);
                  onChanged();
                }
              }}
            >
              {f('voidCodes')}
            </Button>
          </div>
        </div>
      </Dialog>
    </section>
  );
}

