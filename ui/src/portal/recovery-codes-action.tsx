/**
 * Generate Recovery Codes: a warning that the current set stops working, then the new codes on the one recovery
 * codes sheet (ui/src/components/recovery-codes-sheet.tsx), as /profile shows them.
 */
import { useState } from 'preact/hooks';
import { Alert, Form } from '../components/form';
import { RecoveryCodesSheet } from '../components/recovery-codes-sheet';
import { answer } from '../lib/api-client';
import { formatDateTime, useTranslator } from '../lib/i18n';
import { Actions, useSubmit, type ActionProps } from './action-kit';
import type { RecoveryCodesIssued } from './portal-api';
import { portalStrings } from './strings';

export function GenerateRecoveryCodes(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [issued, setIssued] = useState<RecoveryCodesIssued | null>(null);
  const { busy, error, form, submit } = useSubmit(props);
  const current = props.overview.recoveryCodes;

  if (issued) {
    const { resource, user } = props.overview;
    return (
      <RecoveryCodesSheet
        codes={issued.codes}
        title={t('recoveryFileTitle', { resource: resource.name, login: user.login, date: formatDateTime(issued.createdAt) })}
        fileName={`recovery-codes-${resource.alias}-${new Date(issued.createdAt).toISOString().slice(0, 10)}.txt`}
        onSaved={() => props.onDone(t('recoveryCodesDone', { count: issued.codes.length }))}
      />
    );
  }
  return (
    <Form
      {...form}
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        return submit(async () => {
          const codes = await answer(props.client['recovery-codes'].$post({ json: {} }));
          // The old set is void from here on, whether or not the user saves the new one: the page must refresh.
          props.markChanged();
          setIssued(codes);
        });
      }}
    >
      <p>{t('recoveryIntro')}</p>
      {current && current.remaining > 0 ? <Alert kind="warning">{t('recoveryVoidsCurrent', { remaining: current.remaining, total: current.total })}</Alert> : null}
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('generateCodes')} onCancel={props.onCancel} />
    </Form>
  );
}
