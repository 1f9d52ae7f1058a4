/** An SMS or email token for a user, bound to their phone number or address, with its errors at the fields. */
import { useState } from 'preact/hooks';
import { EMAIL_MAX_LENGTH, TOKEN_DESCRIPTION_MAX_LENGTH } from '../../../../worker/contract/fields';
import type { FieldIssue } from '../../../../worker/contract/field-issues';
import { Alert, Button, SelectField, TextField } from '../../components/form';
import { showToast } from '../../components/toast';
import { ApiError } from '../../lib/api';
import { adminApi, answer } from '../../lib/api-client';
import { describeFieldIssue } from '../../lib/error-texts';
import { currentLanguage, describeError, useTranslator } from '../../lib/i18n';
import { adminStrings } from '../strings';
import { UserPicker } from '../users-page';
import { messageTokenStrings } from './strings';
import type { TokenAnswer } from '../../../../worker/tokens/answers';
import type { UserAnswer } from '../../../../worker/users/answers';

/** The owner's refusal under the user picker (which is not a field of its own), styled like every field's error. */
function OwnerError({ children }: { children: string | undefined }) {
  return children ? (
    <small class="field-error" role="alert" data-field-error="">
      {children}
    </small>
  ) : null;
}

type MessageFieldErrors = Partial<Record<'owner' | 'destination' | 'description' | 'form', string>>;

/**
 * Where a server error belongs: VALIDATION_FAILED names its field in `issues` (or, from the number/address check
 * itself, none: then it is the destination, told in the admin's language), USER_NOT_FOUND is the owner.
 */
function messageTokenErrors(failure: unknown, destinationInvalid: string): MessageFieldErrors {
  const text = describeError(failure);
  if (!(failure instanceof ApiError)) return { form: text };
  if (failure.code === 'USER_NOT_FOUND') return { owner: text };
  if (failure.code !== 'VALIDATION_FAILED') return { form: text };
  const issues = failure.fieldIssues;
  if (issues.length === 0) return { destination: destinationInvalid };
  const errors: MessageFieldErrors = {};
  const said = (issue: FieldIssue) => describeFieldIssue(issue, currentLanguage());
  for (const issue of issues) {
    if (issue.path === 'destination' || issue.path === 'phone') errors.destination ??= destinationInvalid;
    else if (issue.path === 'ownerUserId') errors.owner ??= text;
    else if (issue.path === 'description') errors.description ??= said(issue);
    else errors.form ??= said(issue);
  }
  return errors;
}

export function MessageTokenForm({ onDone }: { onDone: (token: TokenAnswer) => void }) {
  const t = useTranslator(adminStrings);
  const m = useTranslator(messageTokenStrings);
  const [type, setType] = useState<'SMS' | 'EMAIL'>('SMS');
  const [owner, setOwner] = useState<UserAnswer | null>(null);
  const [destination, setDestination] = useState('');
  const [edited, setEdited] = useState(false);
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<MessageFieldErrors>({});
  const [busy, setBusy] = useState(false);

  // The user's confirmed 2FA mobile number (else the contact number) or email address, until the admin types another.
  const prefill = (user: UserAnswer | null, kind: 'SMS' | 'EMAIL') =>
    !user ? '' : kind === 'SMS' ? (user.smsPhoneVerified && user.smsPhone ? user.smsPhone : (user.phone ?? '')) : (user.email ?? '');
  function choose(user: UserAnswer | null, kind: 'SMS' | 'EMAIL') {
    setOwner(user);
    setType(kind);
    if (!edited) setDestination(prefill(user, kind));
    setErrors({});
  }

  function check(): MessageFieldErrors {
    const found: MessageFieldErrors = {};
    const value = destination.trim();
    if (!owner) found.owner = m('ownerRequired');
    if (!value) found.destination = m('destinationRequired');
    else if (type === 'SMS' && !/^\+?[\d\s()./-]{6,20}$/.test(value)) found.destination = m('phoneInvalid');
    else if (type === 'EMAIL' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) found.destination = m('emailInvalid');
    return found;
  }

  return (
    <form
      class="stack"
      noValidate
      onSubmit={async (event) => {
        event.preventDefault();
        const found = check();
        setErrors(found);
        if (Object.keys(found).length > 0) return;
        setBusy(true);
        try {
          const token = await answer(
            adminApi.tokens.message.$post({
              json: {
                type,
                destination: destination.trim(),
                ownerUserId: owner!.id,
                description: description.trim() || undefined,
              },
            }),
          );
          showToast(m('messageTokenCreated'));
          onDone(token);
        } catch (failure) {
          setErrors(messageTokenErrors(failure, m(type === 'SMS' ? 'phoneInvalid' : 'emailInvalid')));
        } finally {
          setBusy(false);
        }
      }}
    >
      <p class="muted">{m('messageTokenIntro')}</p>
      <SelectField label={t('type')} name="type" value={type} onValue={(kind) => choose(owner, kind)} options={[{ value: 'SMS', label: m('typeSMS') }, { value: 'EMAIL', label: m('typeEMAIL') }]} />
      {owner ? (
        <p>
          {t('owner')}: <strong>{owner.login}</strong>{' '}
          <Button variant="link" onClick={() => choose(null, type)}>
            {t('remove')}
          </Button>
        </p>
      ) : (
        <UserPicker label={t('findOwner')} onPick={(user) => choose(user, type)} />
      )}
      <OwnerError>{errors.owner}</OwnerError>
      <TextField
        label={m(type === 'SMS' ? 'destinationSMS' : 'destinationEMAIL')}
        name="destination"
        type={type === 'SMS' ? 'tel' : 'email'}
        autocomplete="off"
        value={destination}
        onValue={(value) => {
          setDestination(value);
          setEdited(value !== '');
          setErrors((current) => ({ ...current, destination: undefined }));
        }}
        error={errors.destination}
        hint={m(type === 'SMS' ? 'destinationSMSHint' : 'destinationEMAILHint')}
        maxLength={EMAIL_MAX_LENGTH}
      />
      <TextField
        label={t('description')}
        name="description"
        value={description}
        onValue={(value) => {
          setDescription(value);
          setErrors((current) => ({ ...current, description: undefined }));
        }}
        rules={{ maxLength: TOKEN_DESCRIPTION_MAX_LENGTH }}
        error={errors.description}
      />
      <Alert>{errors.form}</Alert>
      <div class="row end">
        <Button type="submit" busy={busy}>
          {t('create')}
        </Button>
      </div>
    </form>
  );
}

