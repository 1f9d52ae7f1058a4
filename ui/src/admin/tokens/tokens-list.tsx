/** The token list (search, table, pager) and the dialogs that add tokens: software, hardware, SMS/email, import. */
import { useState } from 'preact/hooks';
import { Button } from '../../components/form';
import { Dialog } from '../../components/dialog';
import { ListPage } from '../../components/list-page';
import { formatDateTime, useTranslator } from '../../lib/i18n';
import { navigate } from '../../lib/router';
import { adminStrings } from '../strings';
import { adminApi, answer } from '../../lib/api-client';
import { usePagedAnswer } from '../use-data';
import { HardwareTokenForm } from './hardware-token-form';
import { ImportForm } from './import-form';
import { MessageTokenForm } from './message-token-form';
import { SoftwareTokenWizard } from './software-token-wizard';
import { factorStrings, messageTokenStrings } from './strings';
import { TokenStatus } from './token-status';
import type { TokenAnswer } from '../../../../worker/tokens/answers';

export function TokensPage() {
  const t = useTranslator(adminStrings);
  const list = usePagedAnswer((query, init) => answer(adminApi.tokens.$get({ query }, { init })), []);
  const m = useTranslator(messageTokenStrings);
  const f = useTranslator(factorStrings);
  const [dialog, setDialog] = useState<'software' | 'hardware' | 'message' | 'import' | null>(null);
  return (
    <ListPage
      title={t('tokens')}
      actions={
        <>
          <Button onClick={() => setDialog('software')}>{t('newSoftwareToken')}</Button>
          <Button variant="secondary" onClick={() => setDialog('hardware')}>
            {t('registerHardware')}
          </Button>
          <Button variant="secondary" onClick={() => setDialog('message')}>
            {m('newMessageToken')}
          </Button>
          <Button variant="secondary" onClick={() => setDialog('import')}>
            {t('importTokens')}
          </Button>
        </>
      }
      list={list}
      href={(token) => `/admin/tokens/${token.id}`}
      testId="tokens-table"
      columns={[
        // The name under the serial, as the resources list shows a description: six columns did not fit at 1024 px.
        {
          header: t('serial'),
          clip: true,
          text: (token) => [token.serial, token.description].filter(Boolean).join(' — '),
          cell: (token) => (
            <>
              <span class="mono">{token.serial}</span>
              {token.description ? <div class="muted">{token.description}</div> : null}
            </>
          ),
        },
        {
          header: t('type'),
          width: '7rem',
          text: (token) => `${token.type} ${tokenListNote(token, f)}`,
          cell: (token) => (
            <>
              {token.type} <span class="muted">{tokenListNote(token, f)}</span>
            </>
          ),
        },
        { header: t('owner'), clip: true, text: (token) => token.owner?.login ?? '', cell: (token) => token.owner?.login ?? '' },
        { header: t('status'), cell: (token) => <TokenStatus token={token} />, width: '10.5rem' },
        { header: t('lastUsed'), cell: (token) => formatDateTime(token.lastUsedAt), width: '8.5rem' },
      ]}
    >
      <Dialog title={t('newSoftwareToken')} open={dialog === 'software'} onClose={() => { setDialog(null); list.reload(); }}>
        <SoftwareTokenWizard onDone={() => { setDialog(null); list.reload(); }} />
      </Dialog>
      <Dialog title={t('registerHardware')} open={dialog === 'hardware'} onClose={() => setDialog(null)}>
        <HardwareTokenForm onDone={() => { setDialog(null); list.reload(); }} />
      </Dialog>
      <Dialog title={m('newMessageToken')} open={dialog === 'message'} onClose={() => setDialog(null)}>
        <MessageTokenForm onDone={(token) => { setDialog(null); navigate(`/admin/tokens/${token.id}`); }} />
      </Dialog>
      <Dialog title={t('importTokens')} open={dialog === 'import'} onClose={() => setDialog(null)}>
        <ImportForm onDone={() => { setDialog(null); list.reload(); }} />
      </Dialog>
    </ListPage>
  );
}

/** Beside the type in the list: where codes go, a passkey's name, a set's remaining codes, else software/hardware. */
function tokenListNote(token: TokenAnswer, f: (key: string, params?: Record<string, string | number>) => string): string {
  if (token.recoveryCodes) return f('remaining', { remaining: token.recoveryCodes.remaining, total: token.recoveryCodes.total });
  if (token.type === 'PASSKEY') return token.description;
  return token.destination ?? f(`kind_${token.kind}`);
}
