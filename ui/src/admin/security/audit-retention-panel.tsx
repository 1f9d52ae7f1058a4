/**
 * Security > Email > "Admin activity": how many days the admin audit trail keeps its rows. The bounds come from the
 * server and are stated before anyone types; a refusal shows at the field, in the page's language.
 */
import { useEffect, useState } from 'preact/hooks';
import { Button } from '../../components/form';
import { showToast } from '../../components/toast';
import type { InferResponseType } from 'hono/client';
import { adminApi, answer } from '../../lib/api-client';
import { describeFieldIssue } from '../../lib/error-texts';
import { currentLanguage, describeError, useTranslator } from '../../lib/i18n';
import type { FieldIssue as SharedFieldIssue } from '../../../../worker/contract/field-issues';
import { Field, issuesOf } from './fields';
import { securityStrings } from './strings';
import { useUnsavedChangesGuard } from '../unsaved-changes';

const retentionApi = adminApi.security['audit-retention'];
type AuditRetention = InferResponseType<typeof retentionApi.$get, 200>;

export function AuditRetentionPanel() {
  const t = useTranslator(securityStrings);
  const [saved, setSaved] = useState<AuditRetention | null>(null);
  const [days, setDays] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useUnsavedChangesGuard(saved !== null && days.trim() !== String(saved.days));

  useEffect(() => {
    answer(retentionApi.$get())
      .then((view) => {
        setSaved(view);
        setDays(String(view.days));
      })
      .catch((failure) => setError(describeError(failure)));
  }, []);

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      // Sent as typed when it is not a number, so the server's rule is what the field says: typed as the number
      // the route takes, since what is not one is sent only for the server to refuse it.
      const typed = days.trim();
      const view = await answer(retentionApi.$put({ json: { days: (/^\d+(\.\d+)?$/.test(typed) ? Number(typed) : typed) as number } }));
      setSaved(view);
      setDays(String(view.days));
      showToast(t('auditRetentionSaved', { days: view.days }));
    } catch (failure) {
      const [issue] = issuesOf(failure);
      setError(issue ? (issue.code ? describeFieldIssue(issue as SharedFieldIssue, currentLanguage()) : issue.message) : describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel stack" onSubmit={save} noValidate aria-labelledby="audit-retention-heading">
      <h2 id="audit-retention-heading" style="margin:0">
        {t('auditRetention')}
      </h2>
      <Field
        label={t('auditRetentionDays')}
        name="days"
        inputMode="numeric"
        value={days}
        onValue={(value) => {
          setError('');
          setDays(value);
        }}
        disabled={!saved}
        error={error || undefined}
        hint={saved ? t('auditRetentionHint', { min: saved.minDays, max: saved.maxDays }) : undefined}
      />
      <div>
        <Button type="submit" busy={busy} disabled={!saved || days.trim() === String(saved.days)}>
          {t('auditRetentionSave')}
        </Button>
      </div>
    </form>
  );
}
