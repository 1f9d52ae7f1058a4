/**
 * The token actions: Register New Token and Reassign Token (one enrolment screen), Register Existing Token,
 * Unassign Token, Synchronize Token, Set Up PIN and Remove PIN.
 */
import { EMAIL_MAX_LENGTH, PASSKEY_NAME_MAX_LENGTH, PHONE_MAX_LENGTH, SENT_CODE_MAX_LENGTH, TOKEN_DESCRIPTION_MAX_LENGTH, TOKEN_PIN_DEFAULT_LENGTH, TOKEN_SERIAL_MAX_LENGTH, TYPED_OTP_MAX_LENGTH } from '../../../worker/contract/fields';
import { useState } from 'preact/hooks';
import { Alert, Button, Form, SelectField, TextField } from '../components/form';
import { ApiError } from '../lib/api';
import { answer } from '../lib/api-client';
import { useTranslator } from '../lib/i18n';
import { createPasskey, usePasskey } from '../lib/webauthn';
import { Actions, useSubmit, type ActionProps } from './action-kit';
import type { Enrolment, MessageEnrolment, SelfServiceTokenType } from './portal-api';
import { portalStrings } from './strings';
import { RULE_VALUES, isPin, looksLikeEmail, looksLikePhone } from './validation';

const APP_TYPES: SelfServiceTokenType[] = ['TOTP', 'HOTP'];
/**
 * Register New Token and Reassign with a new passkey: the creation options, then the credential. Reassign to a
 * passkey the user already has (made in /profile or at another portal): an assertion proves it is at hand.
 */
/**
 * Choose the type among those the administrator allowed. An app token: name it, scan the QR code (or type the
 * secret), confirm with the first OTP. An SMS/EMAIL token: give the phone number or address (prefilled with the
 * one on the account), and confirm with the code sent there. A passkey: name it, and the browser's ceremony makes
 * it (no code to confirm: the ceremony is the proof). The token joins this resource only when confirmed; with
 * `reassign` the old token stops working at that moment.
 */
export function RegisterToken(props: ActionProps & { reassign?: boolean }) {
  const t = useTranslator(portalStrings);
  // Reassign offers exactly the types the administrator allowed here, as the server accepts exactly those.
  const allowed = props.overview.tokenTypes;
  const appTypes = allowed.filter((type) => APP_TYPES.includes(type));
  const [type, setType] = useState<SelfServiceTokenType>(appTypes[0] ?? allowed[0] ?? 'TOTP');
  const [description, setDescription] = useState('');
  const [passkeyName, setPasskeyName] = useState('');
  const [passkeySource, setPasskeySource] = useState<'new' | 'existing'>('new');
  const [destinations, setDestinations] = useState({ SMS: props.overview.user.phone ?? '', EMAIL: props.overview.user.email ?? '' });
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [messageEnrolment, setMessageEnrolment] = useState<MessageEnrolment | null>(null);
  const [otp, setOtp] = useState('');
  const [info, setInfo] = useState('');
  const { busy, error, refuse, field, form, submit } = useSubmit(props, { OTP_INVALID: 'otp', CODE_INVALID: 'otp', CODE_EXPIRED: 'otp' });
  const isAppType = APP_TYPES.includes(type);
  const reassignBody = props.reassign ? { reassign: true } : {};
  const messageType = type === 'SMS' || type === 'EMAIL' ? type : null;

  function begin(event: Event) {
    event.preventDefault();
    if (type === 'PASSKEY' && props.reassign && passkeySource === 'existing') {
      return submit(async () => {
        const asked = await answer(props.client.tokens.passkey.existing.options.$post({ json: {} })).catch((failure: unknown) => {
          if (failure instanceof ApiError && failure.code === 'PASSKEY_NOT_FOUND') return null;
          throw failure;
        });
        // The shared dictionary says only "not found"; here it means the user has none to take.
        if (!asked) return refuse('', () => t('noPasskeyYet'));
        await answer(props.client.tokens.passkey.existing.$post({ json: { credential: await usePasskey(asked.options) } }));
        props.onDone(t('passkeyReassigned'));
      });
    }
    if (type === 'PASSKEY') {
      return submit(async () => {
        const { options } = await answer(props.client.tokens.passkey.options.$post({ json: reassignBody }));
        const credential = await createPasskey(options);
        await answer(props.client.tokens.passkey.$post({ json: { credential, name: passkeyName.trim(), ...reassignBody } }));
        props.onDone(t(props.reassign ? 'passkeyReassigned' : 'passkeyRegistered'));
      });
    }
    if (messageType) {
      const destination = destinations[messageType].trim();
      if (messageType === 'SMS' && !looksLikePhone(destination)) return refuse('destination', () => t('phoneInvalid'));
      if (messageType === 'EMAIL' && !looksLikeEmail(destination)) return refuse('destination', () => t('emailInvalid'));
      return submit(async () => {
        try {
          // The answer is one of the two enrolments; the type asked for decides which (an SMS/EMAIL type: the code sent).
          setMessageEnrolment((await answer(props.client.tokens.enrol.$post({ json: { type: messageType, destination, reassign: Boolean(props.reassign) } }))) as MessageEnrolment);
        } catch (failure) {
          if (messageType === 'SMS' && failure instanceof ApiError && (failure.details as { code?: unknown } | undefined)?.code === 'INVALID_PHONE') return refuse('destination', () => t('phoneInvalid'));
          throw failure;
        }
      });
    }
    return submit(async () => {
      setEnrolment((await answer(props.client.tokens.enrol.$post({ json: { type, description: description.trim(), reassign: Boolean(props.reassign) } }))) as Enrolment);
    });
  }

  function confirm(event: Event) {
    event.preventDefault();
    const tokenId = enrolment?.token.id ?? messageEnrolment!.token.id;
    const challengeId = messageEnrolment?.challengeId;
    return submit(async () => {
      await answer(props.client.tokens.confirm.$post({ json: { tokenId, otp: otp.trim(), reassign: Boolean(props.reassign), ...(challengeId ? { challengeId } : {}) } }));
      props.onDone(t(props.reassign ? 'tokenReassigned' : 'tokenRegistered'));
    });
  }

  function resend() {
    setInfo('');
    return submit(async () => {
      const fresh = await answer(props.client.tokens.enrol.resend.$post({ json: { tokenId: messageEnrolment!.token.id, reassign: Boolean(props.reassign) } }));
      setMessageEnrolment({ ...messageEnrolment!, ...fresh });
      setInfo(t('enrolCodeResent'));
    });
  }

  if (messageEnrolment) {
    return (
      <Form {...form} class="stack" key="confirm-code" onSubmit={confirm}>
        <p>{t(messageEnrolment.token.type === 'SMS' ? 'enrolCodeSentSMS' : 'enrolCodeSentEMAIL', { to: messageEnrolment.token.destination ?? '' })}</p>
        <TextField label={t('receivedCode')} {...field('otp', setOtp)} value={otp} inputMode="numeric" autocomplete="one-time-code" required autoFocus maxLength={SENT_CODE_MAX_LENGTH} />
        <Button variant="link" onClick={resend} disabled={busy}>
          {t('resendCode')}
        </Button>
        <Alert kind="info">{info}</Alert>
        <Alert>{error}</Alert>
        <Actions busy={busy} label={t('confirmToken')} onCancel={props.onCancel} />
      </Form>
    );
  }

  if (enrolment) {
    return (
      <Form {...form} class="stack" key="confirm" onSubmit={confirm}>
        <p>{t('scanQr')}</p>
        <img class="qr" alt={enrolment.enrolment.keyUri} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.enrolment.qrSvg)}`} />
        <SecretLine secret={enrolment.enrolment.secretBase32} />
        <TextField label={t('firstOtp')} {...field('otp', setOtp)} value={otp} inputMode="numeric" autocomplete="one-time-code" required autoFocus maxLength={TYPED_OTP_MAX_LENGTH} />
        <Alert>{error}</Alert>
        <Actions busy={busy} label={t('confirmToken')} onCancel={props.onCancel} />
      </Form>
    );
  }

  return (
    <Form {...form} class="stack" key="begin" onSubmit={begin}>
      {props.reassign && props.overview.token ? <p>{t('reassignIntro', { serial: props.overview.token.serial })}</p> : null}
      {allowed.length > 1 ? (
        <SelectField label={t('tokenType')} name="type" value={type} onValue={setType} options={allowed.map((value) => ({ value, label: t(`type${value}`) }))} />
      ) : (
        <p>
          {t('tokenType')}: <strong>{t(`type${type}`)}</strong>
        </p>
      )}
      {isAppType ? (
        <TextField label={t('tokenName')} name="description" value={description} onValue={setDescription} hint={t('tokenNameHint')} rules={{ maxLength: TOKEN_DESCRIPTION_MAX_LENGTH }} />
      ) : null}
      {type === 'PASSKEY' && props.reassign ? (
        <fieldset class="stack plain">
          <legend>{t('passkeySource')}</legend>
          {(['new', 'existing'] as const).map((value) => (
            <label class="checkbox" key={value}>
              <input type="radio" name="passkeySource" value={value} checked={passkeySource === value} onChange={() => setPasskeySource(value)} />
              <span>{t(value === 'new' ? 'passkeyNew' : 'passkeyExisting')}</span>
            </label>
          ))}
        </fieldset>
      ) : null}
      {type === 'PASSKEY' && !(props.reassign && passkeySource === 'existing') ? (
        <>
          <TextField key="passkey" label={t('passkeyName')} name="passkey-name" value={passkeyName} onValue={setPasskeyName} hint={t('passkeyNameHint')} required rules={{ maxLength: PASSKEY_NAME_MAX_LENGTH }} autocomplete="off" />
          <p class="muted">{t('passkeyIntro')}</p>
        </>
      ) : null}
      {messageType ? (
        <TextField
          key={messageType}
          label={t(`destination${messageType}`)}
          {...field('destination', (value) => setDestinations({ ...destinations, [messageType]: value }))}
          type={messageType === 'SMS' ? 'tel' : 'email'}
          autocomplete={messageType === 'SMS' ? 'tel' : 'email'}
          value={destinations[messageType]}
          hint={messageType === 'SMS' ? t('destinationSMSHint') : undefined}
          required
          maxLength={messageType === 'SMS' ? PHONE_MAX_LENGTH : EMAIL_MAX_LENGTH}
        />
      ) : null}
      <Alert>{error}</Alert>
      <Actions
        busy={busy}
        label={messageType ? t('sendCode') : type !== 'PASSKEY' ? t('continue') : props.reassign && passkeySource === 'existing' ? t('usePasskey') : t('createPasskey')}
        onCancel={props.onCancel}
      />
    </Form>
  );
}

/** The secret as text for typing it in, with a copy button (the clipboard needs a secure context: HTTPS). */
function SecretLine({ secret }: { secret: string }) {
  const t = useTranslator(portalStrings);
  const [copied, setCopied] = useState(false);
  return (
    <div class="row">
      <span>{t('secret')}:</span>
      <code class="secret" data-testid="token-secret">
        {secret}
      </code>
      {navigator.clipboard ? (
        <Button variant="secondary" onClick={() => navigator.clipboard.writeText(secret).then(() => setCopied(true), () => setCopied(false))}>
          {copied ? t('copied') : t('copy')}
        </Button>
      ) : null}
    </div>
  );
}

export function ExistingToken(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [serial, setSerial] = useState('');
  const [otp, setOtp] = useState('');
  // The server does not say which of the two was wrong (a serial is not to be probed): said at the code.
  const { busy, error, field, form, submit } = useSubmit(props, { OTP_INVALID: 'otp' });
  return (
    <Form
      {...form}
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        return submit(async () => {
          await answer(props.client.tokens.claim.$post({ json: { serial: serial.trim(), otp: otp.trim() } }));
          props.onDone(t('existingRegistered'));
        });
      }}
    >
      <TextField label={t('serial')} name="serial" value={serial} onValue={setSerial} hint={t('serialHint')} required autoFocus maxLength={TOKEN_SERIAL_MAX_LENGTH} />
      <TextField label={t('otpFromDevice')} {...field('otp', setOtp)} value={otp} inputMode="numeric" autocomplete="one-time-code" required maxLength={TYPED_OTP_MAX_LENGTH} />
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('registerToken')} onCancel={props.onCancel} />
    </Form>
  );
}

export function UnassignToken(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const { busy, error, form, submit } = useSubmit(props);
  return (
    <Form
      {...form}
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        return submit(async () => {
          await answer(props.client.tokens.unassign.$post());
          props.onDone(t('unassigned'));
        });
      }}
    >
      <p>{t('unassignIntro', { serial: props.overview.token?.serial ?? '' })}</p>
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('unassignConfirm')} onCancel={props.onCancel} variant="danger" />
    </Form>
  );
}

export function SynchronizeToken(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [otp1, setOtp1] = useState('');
  const [otp2, setOtp2] = useState('');
  const { busy, error, refuse, field, form, submit } = useSubmit(props);
  return (
    <Form
      {...form}
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        return submit(async () => {
          try {
            await answer(props.client.tokens.sync.$post({ json: { otp1: otp1.trim(), otp2: otp2.trim() } }));
          } catch (failure) {
            // The shared dictionary only says "the OTP is wrong"; here the likely cause is two codes that do not follow.
            if (failure instanceof ApiError && failure.code === 'OTP_INVALID') return refuse('otp2', () => t('syncFailed'));
            throw failure;
          }
          props.onDone(t('synchronized'));
        });
      }}
    >
      <p>{t('syncIntro')}</p>
      <TextField label={t('otp1')} {...field('otp1', setOtp1)} value={otp1} inputMode="numeric" autocomplete="off" required autoFocus maxLength={TYPED_OTP_MAX_LENGTH} />
      <TextField label={t('otp2')} {...field('otp2', setOtp2)} value={otp2} inputMode="numeric" autocomplete="off" required maxLength={TYPED_OTP_MAX_LENGTH} />
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('synchronize')} onCancel={props.onCancel} />
    </Form>
  );
}

export function PinSetup(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const [pin, setPin] = useState('');
  const [repeated, setRepeated] = useState('');
  const [position, setPosition] = useState<'before' | 'after'>(props.overview.token?.pinPosition ?? 'before');
  const { busy, error, refuse, field, form, submit } = useSubmit(props);
  return (
    <Form
      {...form}
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        if (!isPin(pin)) return refuse('pin', () => t('pinDigits', RULE_VALUES));
        if (pin !== repeated) return refuse('repeatPin', () => t('pinsDiffer'));
        return submit(async () => {
          await answer(props.client.tokens.pin.$put({ json: { pin, pinPosition: position } }));
          props.onDone(t('pinSaved'));
        });
      }}
    >
      <TextField label={t('pin')} {...field('pin', setPin)} type="password" value={pin} inputMode="numeric" maxLength={TOKEN_PIN_DEFAULT_LENGTH} autocomplete="off" required autoFocus />
      <TextField label={t('repeatPin')} {...field('repeatPin', setRepeated)} type="password" value={repeated} inputMode="numeric" maxLength={TOKEN_PIN_DEFAULT_LENGTH} autocomplete="off" required />
      <fieldset class="stack plain">
        <legend>{t('pinPosition')}</legend>
        {(['before', 'after'] as const).map((value) => (
          <label class="checkbox" key={value}>
            <input type="radio" name="pinPosition" value={value} checked={position === value} onChange={() => setPosition(value)} />
            <span>{t(value === 'before' ? 'pinBefore' : 'pinAfter')}</span>
          </label>
        ))}
      </fieldset>
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('savePin')} onCancel={props.onCancel} />
    </Form>
  );
}

export function RemovePin(props: ActionProps) {
  const t = useTranslator(portalStrings);
  const { busy, error, form, submit } = useSubmit(props);
  return (
    <Form
      {...form}
      class="stack"
      onSubmit={(event) => {
        event.preventDefault();
        return submit(async () => {
          await answer(props.client.tokens.pin.$delete());
          props.onDone(t('pinRemoved'));
        });
      }}
    >
      <p>{t('removePinIntro')}</p>
      <Alert>{error}</Alert>
      <Actions busy={busy} label={t('removePin')} onCancel={props.onCancel} variant="danger" />
    </Form>
  );
}
