/**
 * A token's page: its name (asked before leaving with it unsaved), the resources it opens, its facts, and per
 * type Check OTP (SMS/email: "Send code" first), resync, PIN, enable/disable, fail counter and delete. Passkeys and
 * recovery code sets show their own facts instead of the OTP panels.
 */
import { useCallback, useState } from 'preact/hooks';
import { confirmDialog } from '../../components/dialog';
import { Button, Form, SelectField, TextField } from '../../components/form';
import { ChevronLeftIcon } from '../../components/icons';
import { showToast } from '../../components/toast';
import { ApiError } from '../../lib/api';
import { adminApi, answer as answerOf } from '../../lib/api-client';
import { describeError, formatDateTime, useTranslator } from '../../lib/i18n';
import { navigate, onLinkClick, useLeaveGuard } from '../../lib/router';
import { adminStrings } from '../strings';
import { useAction, useAnswer } from '../use-data';
import { PageHeader, confirmAction } from '../widgets';
import { TOKEN_DESCRIPTION_MAX_LENGTH } from '../../../../worker/contract/fields';
import { factorStrings, messageTokenStrings, tokenPageStrings } from './strings';
import { PasskeyFacts, RecoveryCodesPanel } from './token-facts';
import { TokenStatus, isCeremonyOrCodeSet, isMessageTokenType } from './token-status';
import type { TokenAnswer } from '../../../../worker/tokens/answers';

export function TokenDetailPage({ id }: { id: string }) {
  const t = useTranslator(adminStrings);
  const { data: token, error, reload } = useAnswer((init) => answerOf(adminApi.tokens[':id'].$get({ param: { id } }, { init })), [id]);
  const { busy, run } = useAction();
  // The PIN form has its own action, so its refusal ("4 to 8 digits.") stays at its field and not in the other forms.
  const pinAction = useAction();
  // Check OTP and resync each have their own action too: a refused code is said at the field it was typed into.
  const checkAction = useAction();
  const resyncAction = useAction();
  const [checkVerdict, setCheckVerdict] = useState('');
  const [resyncRefusal, setResyncRefusal] = useState('');
  const m = useTranslator(messageTokenStrings);
  const p = useTranslator(tokenPageStrings);
  const f = useTranslator(factorStrings);
  const [codeSentTo, setCodeSentTo] = useState<string | null>(null);
  const [otp, setOtp] = useState('');
  const [otp1, setOtp1] = useState('');
  const [otp2, setOtp2] = useState('');
  const [pin, setPin] = useState('');
  const [pinPosition, setPinPosition] = useState<'before' | 'after'>('after');
  if (error) return <p class="alert error">{error}</p>;
  if (!token) return <div class="loading" aria-busy="true" />;

  async function checkOtp(event: Event) {
    event.preventDefault();
    const field = (event.currentTarget as HTMLFormElement).elements.namedItem('check-otp');
    setCheckVerdict('');
    let valid = false;
    await checkAction.run(async () => {
      const answer = await answerOf(adminApi.tokens[':id'].check.$post({ param: { id }, json: { otp: otp.trim() } }));
      valid = answer.valid;
      if (answer.valid) showToast(t('otpValid'));
      // The code the token accepted last (the wizard's first OTP, say): not a failure, nothing counted; say what to do.
      else if (answer.reason === 'OTP_REPLAYED') setCheckVerdict(p('otpAlreadyUsed'));
      else setCheckVerdict(`${t('otpInvalid')}${answer.reason && answer.reason !== 'OTP_INVALID' ? ` (${describeError(new ApiError(400, answer.reason, answer.reason))})` : ''}`);
      reload();
    });
    if (valid) setOtp('');
    // A refused code stays, selected: the admin sees what was typed and types the next one over it.
    else if (field instanceof HTMLInputElement) {
      field.focus();
      field.select();
    }
  }

  async function resync(event: Event) {
    event.preventDefault();
    setResyncRefusal('');
    await resyncAction.run(async () => {
      try {
        await adminApi.tokens[':id'].resync.$post({ param: { id }, json: { otp1: otp1.trim(), otp2: otp2.trim() } });
      } catch (failure) {
        // Two codes not found next to each other concern the codes typed: said at them, not in a toast.
        if (failure instanceof ApiError && failure.code === 'OTP_INVALID') return setResyncRefusal(describeError(failure));
        throw failure;
      }
      showToast(t('resynced'));
      setOtp1('');
      setOtp2('');
      reload();
    });
  }

  const message = isMessageTokenType(token.type);

  return (
    <>
      <a href="/admin/tokens" onClick={onLinkClick}>
        <ChevronLeftIcon /> {t('tokens')}
      </a>
      <PageHeader title={<span class="mono">{token.serial}</span>}>
        <TokenStatus token={token} />
        <Button variant="secondary" busy={busy} onClick={() => run(() => adminApi.tokens[':id'].$patch({ param: { id }, json: { enabled: !token.enabled } }), t('saved')).then(reload)}>
          {token.enabled ? t('disable') : t('enable')}
        </Button>
        <Button
          variant="danger"
          busy={busy}
          onClick={async () => {
            if ((await confirmAction(t('confirmDelete', { name: token.serial }), t('delete'))) && (await run(() => adminApi.tokens[':id'].$delete({ param: { id } }), t('deleted')))) navigate('/admin/tokens', { force: true });
          }}
        >
          {t('delete')}
        </Button>
      </PageHeader>
      {token.type === 'PASSKEY' ? null : <TokenNameForm key={token.id} token={token} onSaved={reload} />}
      <TokenResources id={id} />
      {token.type === 'PASSKEY' ? <PasskeyFacts token={token} /> : null}
      {token.type === 'RECOVERY_CODES' ? <RecoveryCodesPanel token={token} onChanged={reload} /> : null}
      {isCeremonyOrCodeSet(token.type) ? null : (
        <>
          <section class="panel grid-2">
            <div>
              {t('type')}: <strong>{token.type}</strong> ({token.destination ? <span class="mono">{token.destination}</span> : f(`kind_${token.kind}`)})
            </div>
            <div>
              {/* SMS/email codes are random digits sent out, not derived from a hash algorithm. */}
              {message ? `${token.digits} ${t('digits')}` : `${t('algorithm')}: ${token.ocraSuite ?? `${token.algorithm}, ${token.digits} ${t('digits')}`}`}
            </div>
            <div>{token.type === 'HOTP' ? `${t('counter')}: ${token.counter}` : token.type === 'TOTP' ? `${t('period')}: ${token.periodSeconds}` : ''}</div>
            <div>
              {t('owner')}: {token.owner ? <a href={`/admin/users/${token.owner.id}`} onClick={onLinkClick}>{token.owner.login}</a> : t('none')}
            </div>
            <div>
              {t('pin')}: {token.hasPin ? `${t('yes')} (${token.pinPosition === 'before' ? t('pinBefore') : t('pinAfter')})` : t('no')}
            </div>
            <div>
              {t('failCount')}: {token.failCount}
              {token.lockedUntil ? ` · ${t('locked')}: ${formatDateTime(token.lockedUntil)}` : ''}
            </div>
            <div>
              {t('lastUsed')}: {formatDateTime(token.lastUsedAt) || '—'}
            </div>
          </section>
          <section class="panel">
            <h2>{t('checkOtp')}</h2>
            {message ? (
              <div class="stack">
                <p class="muted">{codeSentTo ? m('codeSentTo', { to: codeSentTo }) : m('messageCheckHint')}</p>
                <div class="row">
                  <Button
                    variant="secondary"
                    busy={busy}
                    onClick={() =>
                      run(async () => {
                        const sent = await answerOf(adminApi.tokens[':id']['send-code'].$post({ param: { id } }));
                        setCodeSentTo(sent.sentTo ?? token.destination ?? '');
                      })
                    }
                  >
                    {m('sendCode')}
                  </Button>
                </div>
              </div>
            ) : null}
            <Form {...checkAction.form} class="row" onSubmit={checkOtp}>
              <TextField
                label={t('otp')}
                name="check-otp"
                errorPath="otp"
                value={otp}
                onValue={(value) => {
                  setCheckVerdict('');
                  setOtp(value);
                }}
                error={checkVerdict || undefined}
                inputMode="numeric"
                autocomplete="off"
                required
              />
              <Button type="submit" busy={checkAction.busy}>
                {t('checkOtp')}
              </Button>
              {token.failCount > 0 || token.lockedUntil ? (
                <Button variant="secondary" busy={busy} onClick={() => run(() => adminApi.tokens[':id']['reset-fail-counter'].$post({ param: { id } }), t('saved')).then(reload)}>
                  {t('resetFailCounter')}
                </Button>
              ) : null}
            </Form>
          </section>
          {token.type !== 'OCRA' && !message ? (
            <section class="panel">
              <h2>{t('resync')}</h2>
              <Form {...resyncAction.form} class="row" onSubmit={resync}>
                <TextField label={t('otp1')} name="otp1" value={otp1} onValue={setOtp1} inputMode="numeric" required />
                <TextField
                  label={t('otp2')}
                  name="otp2"
                  value={otp2}
                  onValue={(value) => {
                    setResyncRefusal('');
                    setOtp2(value);
                  }}
                  error={resyncRefusal || undefined}
                  inputMode="numeric"
                  required
                />
                <Button type="submit" busy={resyncAction.busy}>
                  {t('resync')}
                </Button>
              </Form>
            </section>
          ) : null}
          <section class="panel">
            <h2>{t('pin')}</h2>
            <Form
              {...pinAction.form}
              class="row"
              noValidate
              onSubmit={async (event) => {
                event.preventDefault();
                if (await pinAction.run(() => adminApi.tokens[':id'].pin.$put({ param: { id }, json: { pin, pinPosition } }), t('saved'))) {
                  setPin('');
                  reload();
                }
              }}
            >
              <TextField label={t('pin')} name="pin" type="password" value={pin} onValue={setPin} inputMode="numeric" rules={{ pattern: 'tokenPin' }} autocomplete="off" required />
              <SelectField label={t('pinPosition')} name="pinPosition" value={pinPosition} onValue={setPinPosition} options={[{ value: 'after', label: t('pinAfter') }, { value: 'before', label: t('pinBefore') }]} />
              <Button type="submit" busy={pinAction.busy}>
                {t('setPin')}
              </Button>
              {token.hasPin ? (
                <Button variant="secondary" busy={pinAction.busy} onClick={() => pinAction.run(() => adminApi.tokens[':id'].pin.$put({ param: { id }, json: { pin: null } }), t('saved')).then(reload)}>
                  {t('removePin')}
                </Button>
              ) : null}
            </Form>
          </section>
        </>
      )}
    </>
  );
}


/** The token's name (its description): saved on its own; leaving the page with an unsaved name asks first. */
function TokenNameForm({ token, onSaved }: { token: TokenAnswer; onSaved: () => void }) {
  const t = useTranslator(adminStrings);
  const p = useTranslator(tokenPageStrings);
  const [name, setName] = useState(token.description);
  const { busy, run, form } = useAction();
  const dirty = name.trim() !== token.description;
  const askToLeave = useCallback(() => confirmDialog({ title: p('unsavedTitle'), text: p('unsavedText'), confirmLabel: p('leave'), danger: true }), [p]);
  useLeaveGuard(dirty, askToLeave);
  return (
    <Form
      {...form}
      class="panel row"
      onSubmit={async (event) => {
        event.preventDefault();
        if (await run(() => adminApi.tokens[':id'].$patch({ param: { id: token.id }, json: { description: name.trim() } }), t('saved'))) onSaved();
      }}
    >
      <TextField
        label={p('tokenName')}
        name="token-name"
        errorPath="description"
        value={name}
        onValue={setName}
        rules={{ maxLength: TOKEN_DESCRIPTION_MAX_LENGTH }}
        hint={p('tokenNameHint')}
      />
      <Button type="submit" busy={busy} disabled={!dirty}>
        {p('saveName')}
      </Button>
    </Form>
  );
}

/** The resources that take this token: as their "token with user", or through its owner's plain assignment. */
function TokenResources({ id }: { id: string }) {
  const p = useTranslator(tokenPageStrings);
  const { data } = useAnswer((init) => answerOf(adminApi.tokens[':id'].resources.$get({ param: { id } }, { init })), [id]);
  if (!data) return null;
  return (
    <section class="panel" data-testid="token-resources">
      <h2>{p('resourcesTitle')}</h2>
      {data.items.length === 0 ? (
        <p class="muted">{p('resourcesNone')}</p>
      ) : (
        <ul class="plain">
          {data.items.map((resource) => (
            <li key={resource.id}>
              <a href={`/admin/resources/${resource.id}`} onClick={onLinkClick}>
                {resource.name}
              </a>{' '}
              <span class="muted">· {p(resource.via === 'token' ? 'resourceAsToken' : 'resourceAsUser')}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
