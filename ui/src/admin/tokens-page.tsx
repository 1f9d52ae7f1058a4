/**
 * Tokens: the list; creating a software token (QR code, active after its first correct OTP); registering a hardware
 * token; creating an SMS or email token for a user (bound to their phone number or address); importing CSV or PSKC;
 * and per token: Check OTP (for SMS/email tokens: "Send code" first), resync, PIN, enable/disable, fail counter, delete.
 * Passkeys and recovery code sets are made by their users (portal, /profile): a passkey shows its WebAuthn facts, a
 * set how many codes remain and "Void codes"; neither has a seed, an OTP to check or a PIN.
 */
import { useState } from 'preact/hooks';
import { Alert, Button, SelectField, TextField } from '../components/form';
import { Dialog, Tabs } from '../components/layout';
import { showToast } from '../components/toast';
import { api, ApiError } from '../lib/api';
import { describeError, formatDateTime, useTranslator } from '../lib/i18n';
import { navigate, onLinkClick } from '../lib/router';
import { adminStrings } from './strings';
import { useAction, useData, usePagedList } from './use-data';
import { UserPicker } from './users-page';
import { Empty, PageHeader, Pager, SearchBox, confirmAction } from './widgets';
import type { TokenView } from '../../../worker/tokens/service';
import type { AdminUser } from './users-page';

/** The SMS/email token strings, kept here (the page's own additions) rather than in the shared admin dictionary. */
const messageTokenStrings = {
  en: {
    newMessageToken: 'New SMS/email token',
    messageTokenIntro: 'The codes of an SMS or email token are sent to the user\'s phone number or email address when they sign in.',
    typeSMS: 'SMS',
    typeEMAIL: 'Email',
    destinationSMS: 'Phone number',
    destinationEMAIL: 'Email address',
    destinationSMSHint: 'With country code, for example +49 151 2345678. Prefilled with the user\'s confirmed number.',
    destinationEMAILHint: 'Prefilled with the user\'s email address.',
    ownerRequired: 'Choose the user the token is for.',
    destinationRequired: 'Enter where the codes go.',
    phoneInvalid: 'This is not a valid phone number. Use the international format, for example +49 151 2345678.',
    emailInvalid: 'This is not a valid email address.',
    messageTokenCreated: 'The token is created.',
    sendCode: 'Send code',
    codeSentTo: 'A code was sent to {to}. Enter it (with the PIN, if the token has one) and check it.',
    messageCheckHint: 'Send a code to the token first. It does not affect a code the user is signing in with.',
  },
  de: {
    newMessageToken: 'Neues SMS-/E-Mail-Token',
    messageTokenIntro: 'Die Codes eines SMS- oder E-Mail-Tokens werden bei der Anmeldung an die Telefonnummer oder E-Mail-Adresse des Benutzers gesendet.',
    typeSMS: 'SMS',
    typeEMAIL: 'E-Mail',
    destinationSMS: 'Telefonnummer',
    destinationEMAIL: 'E-Mail-Adresse',
    destinationSMSHint: 'Mit Ländervorwahl, zum Beispiel +49 151 2345678. Vorbelegt mit der bestätigten Nummer des Benutzers.',
    destinationEMAILHint: 'Vorbelegt mit der E-Mail-Adresse des Benutzers.',
    ownerRequired: 'Wählen Sie den Benutzer, für den das Token ist.',
    destinationRequired: 'Geben Sie an, wohin die Codes gehen.',
    phoneInvalid: 'Das ist keine gültige Telefonnummer. Verwenden Sie das internationale Format, zum Beispiel +49 151 2345678.',
    emailInvalid: 'Das ist keine gültige E-Mail-Adresse.',
    messageTokenCreated: 'Das Token ist angelegt.',
    sendCode: 'Code senden',
    codeSentTo: 'Ein Code wurde an {to} gesendet. Geben Sie ihn ein (mit der PIN, falls das Token eine hat) und prüfen Sie ihn.',
    messageCheckHint: 'Senden Sie zuerst einen Code an das Token. Ein Code, mit dem sich der Benutzer gerade anmeldet, bleibt davon unberührt.',
  },
};

const isMessageTokenType = (type: string) => type === 'SMS' || type === 'EMAIL';
/** Tokens without an OTP of their own: no Check OTP (it would use up a recovery code), resync or PIN. */
const isCeremonyOrCodeSet = (type: string) => type === 'PASSKEY' || type === 'RECOVERY_CODES';

/** The passkey and recovery code strings, the page's own additions like the SMS/email ones above. */
const factorStrings = {
  en: {
    passkeyName: 'Name',
    aaguid: 'AAGUID (authenticator model)',
    transports: 'Transports',
    backedUp: 'Backed up',
    backupEligible: 'can be synced',
    deviceBound: 'device-bound',
    signCount: 'Signature counter',
    suspicious: 'Suspicious',
    suspiciousSince: 'Yes, since {date}: its counter went backwards (a copied authenticator?). It is refused.',
    suspiciousPill: 'suspicious',
    remaining: '{remaining} of {total} left',
    recoveryCodes: 'Recovery codes: {remaining} of {total} left',
    recoveryHint: 'The user generated these codes; each works once in place of their token. Only their hashes are stored, so nobody can show them again.',
    voidCodes: 'Void codes',
    voidTitle: 'Void these recovery codes?',
    voidText: 'All {remaining} unused codes stop working at once, for sign-in, restore access and the verify API. The user can generate a new set.',
    voided: 'The recovery codes are void.',
    voidedAt: 'Voided on {date}: none of these codes works any more.',
  },
  de: {
    passkeyName: 'Name',
    aaguid: 'AAGUID (Authenticator-Modell)',
    transports: 'Übertragungswege',
    backedUp: 'Gesichert',
    backupEligible: 'synchronisierbar',
    deviceBound: 'gerätegebunden',
    signCount: 'Signaturzähler',
    suspicious: 'Verdächtig',
    suspiciousSince: 'Ja, seit {date}: Sein Zähler ging zurück (ein kopierter Authenticator?). Er wird abgelehnt.',
    suspiciousPill: 'verdächtig',
    remaining: '{remaining} von {total} übrig',
    recoveryCodes: 'Wiederherstellungscodes: {remaining} von {total} übrig',
    recoveryHint: 'Der Benutzer hat diese Codes erzeugt; jeder ersetzt einmal sein Token. Gespeichert sind nur ihre Hashes, niemand kann sie erneut anzeigen.',
    voidCodes: 'Codes ungültig machen',
    voidTitle: 'Diese Wiederherstellungscodes ungültig machen?',
    voidText: 'Alle {remaining} unbenutzten Codes funktionieren sofort nicht mehr, weder bei der Anmeldung noch bei „Zugang wiederherstellen“ oder der Verify-API. Der Benutzer kann einen neuen Satz erzeugen.',
    voided: 'Die Wiederherstellungscodes sind ungültig.',
    voidedAt: 'Ungültig gemacht am {date}: Keiner dieser Codes funktioniert mehr.',
  },
};

/** A token as the admin API returns it (the worker's view; a type-only import, erased from the bundle). */
export type AdminToken = TokenView;

interface Enrolment {
  token: AdminToken;
  enrolment: { secretBase32: string; keyUri: string; qrSvg: string };
}

export function TokenStatus({ token }: { token: AdminToken }) {
  const t = useTranslator(adminStrings);
  const f = useTranslator(factorStrings);
  if (token.passkey?.suspiciousAt) return <span class="pill bad">{f('suspiciousPill')}</span>;
  if (token.lockedUntil) return <span class="pill bad">{t('locked')}</span>;
  if (!token.enabled) return <span class="pill off">{t('disabled')}</span>;
  if (!token.activated) return <span class="pill">{t('pending')}</span>;
  return <span class="pill ok">{t('active')}</span>;
}

export function TokensPage() {
  const t = useTranslator(adminStrings);
  const list = usePagedList<AdminToken>('/api/admin/tokens');
  const m = useTranslator(messageTokenStrings);
  const [dialog, setDialog] = useState<'software' | 'hardware' | 'message' | 'import' | null>(null);
  return (
    <>
      <PageHeader title={t('tokens')}>
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
      </PageHeader>
      <div class="toolbar">
        <SearchBox value={list.search} onValue={list.setSearch} />
      </div>
      {list.data?.items.length === 0 ? <Empty>{list.search ? t('noMatches') : t('noItems')}</Empty> : null}
      {list.data && list.data.items.length > 0 ? (
        <>
          <table class="data">
            <thead>
              <tr>
                <th>{t('serial')}</th>
                <th>{t('type')}</th>
                <th>{t('owner')}</th>
                <th>{t('status')}</th>
                <th>{t('lastUsed')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((token) => (
                <tr key={token.id} class="clickable" onClick={() => navigate(`/admin/tokens/${token.id}`)}>
                  <td>
                    <a href={`/admin/tokens/${token.id}`} onClick={onLinkClick} class="mono">
                      {token.serial}
                    </a>
                  </td>
                  <td>
                    {token.type} <span class="muted"><TokenListNote token={token} /></span>
                  </td>
                  <td>{token.owner?.login ?? ''}</td>
                  <td>
                    <TokenStatus token={token} />
                  </td>
                  <td>{formatDateTime(token.lastUsedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={list.page} pageSize={list.pageSize} total={list.data.total} onPage={list.setPage} />
        </>
      ) : null}
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
    </>
  );
}

/** Beside the type in the list: where codes go, a passkey's name, a set's remaining codes, else software/hardware. */
function TokenListNote({ token }: { token: AdminToken }) {
  const f = useTranslator(factorStrings);
  if (token.recoveryCodes) return <>{f('remaining', { remaining: token.recoveryCodes.remaining, total: token.recoveryCodes.total })}</>;
  if (token.type === 'PASSKEY') return <>{token.description}</>;
  return <>{token.destination ?? token.kind}</>;
}

/** The server renders the QR code as SVG; shown as an image so no markup from the answer enters the DOM. */
export function QrCode({ svg, label }: { svg: string; label: string }) {
  return <img class="qr" alt={label} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`} />;
}

function SoftwareTokenWizard({ onDone }: { onDone: () => void }) {
  const t = useTranslator(adminStrings);
  const [type, setType] = useState<'TOTP' | 'HOTP'>('TOTP');
  const [algorithm, setAlgorithm] = useState('SHA1');
  const [digits, setDigits] = useState('6');
  const [period, setPeriod] = useState('30');
  const [description, setDescription] = useState('');
  const [owner, setOwner] = useState<{ id: string; login: string } | null>(null);
  const [created, setCreated] = useState<Enrolment | null>(null);
  const [otp, setOtp] = useState('');
  const [error, setError] = useState('');
  const { busy, run } = useAction();

  if (created) {
    return (
      <form
        class="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          setError('');
          try {
            const answer = await api.post<{ valid: boolean }>(`/api/admin/tokens/${created.token.id}/check`, { otp: otp.trim() });
            if (answer.valid) {
              showToast(t('activated'));
              onDone();
            } else setError(t('otpInvalid'));
          } catch (failure) {
            setError(describeError(failure));
          }
        }}
      >
        <p>{t('scanQr')}</p>
        <QrCode svg={created.enrolment.qrSvg} label={created.enrolment.keyUri} />
        <p>
          {t('secret')}: <code class="secret" data-testid="token-secret">{created.enrolment.secretBase32}</code>
        </p>
        <p class="muted">
          {t('serial')}: <code>{created.token.serial}</code>
        </p>
        <TextField label={t('confirmFirstOtp')} name="otp" value={otp} onValue={setOtp} inputMode="numeric" autocomplete="one-time-code" required autoFocus />
        <Alert>{error}</Alert>
        <div class="row end">
          <Button type="submit">{t('confirmFirstOtp')}</Button>
        </div>
      </form>
    );
  }

  return (
    <form
      class="stack"
      onSubmit={async (event) => {
        event.preventDefault();
        await run(async () => {
          setCreated(
            await api.post<Enrolment>('/api/admin/tokens/software', {
              type,
              algorithm,
              digits: Number(digits),
              periodSeconds: Number(period),
              description: description || undefined,
              ownerUserId: owner?.id ?? null,
            }),
          );
        });
      }}
    >
      <div class="grid-2">
        <SelectField label={t('type')} name="type" value={type} onValue={setType} options={[{ value: 'TOTP', label: 'TOTP' }, { value: 'HOTP', label: 'HOTP' }]} />
        <SelectField label={t('algorithm')} name="algorithm" value={algorithm} onValue={setAlgorithm} options={['SHA1', 'SHA256', 'SHA512'].map((v) => ({ value: v, label: v }))} />
        <SelectField label={t('digits')} name="digits" value={digits} onValue={setDigits} options={['6', '8'].map((v) => ({ value: v, label: v }))} />
        {type === 'TOTP' ? <SelectField label={t('period')} name="period" value={period} onValue={setPeriod} options={['30', '60'].map((v) => ({ value: v, label: v }))} /> : null}
      </div>
      <TextField label={t('description')} name="description" value={description} onValue={setDescription} />
      {owner ? (
        <p>
          {t('owner')}: <strong>{owner.login}</strong>{' '}
          <Button variant="link" onClick={() => setOwner(null)}>
            {t('remove')}
          </Button>
        </p>
      ) : (
        <UserPicker label={`${t('owner')} (${t('search')})`} onPick={setOwner} />
      )}
      <div class="row end">
        <Button type="submit" busy={busy}>
          {t('create')}
        </Button>
      </div>
    </form>
  );
}

function HardwareTokenForm({ onDone }: { onDone: () => void }) {
  const t = useTranslator(adminStrings);
  const [type, setType] = useState<'TOTP' | 'HOTP' | 'OCRA'>('TOTP');
  const [serial, setSerial] = useState('');
  const [seed, setSeed] = useState('');
  const [algorithm, setAlgorithm] = useState('SHA1');
  const [digits, setDigits] = useState('6');
  const [period, setPeriod] = useState('30');
  const [counter, setCounter] = useState('0');
  const [ocraSuite, setOcraSuite] = useState('OCRA-1:HOTP-SHA1-6:QN08');
  const { busy, run } = useAction();
  return (
    <form
      class="stack"
      onSubmit={async (event) => {
        event.preventDefault();
        const ok = await run(
          () =>
            api.post('/api/admin/tokens/hardware', {
              type,
              serial,
              seed,
              algorithm,
              digits: Number(digits),
              periodSeconds: Number(period),
              counter: Number(counter),
              ocraSuite: type === 'OCRA' ? ocraSuite : undefined,
            }),
          t('saved'),
        );
        if (ok) onDone();
      }}
    >
      <div class="grid-2">
        <SelectField label={t('type')} name="type" value={type} onValue={setType} options={['TOTP', 'HOTP', 'OCRA'].map((v) => ({ value: v as 'TOTP', label: v }))} />
        <TextField label={t('serial')} name="serial" value={serial} onValue={setSerial} required />
      </div>
      <TextField label={t('seed')} name="seed" value={seed} onValue={setSeed} required autocomplete="off" />
      {type === 'OCRA' ? (
        <TextField label={t('ocraSuite')} name="ocraSuite" value={ocraSuite} onValue={setOcraSuite} required />
      ) : (
        <div class="grid-2">
          <SelectField label={t('algorithm')} name="algorithm" value={algorithm} onValue={setAlgorithm} options={['SHA1', 'SHA256', 'SHA512'].map((v) => ({ value: v, label: v }))} />
          <SelectField label={t('digits')} name="digits" value={digits} onValue={setDigits} options={['6', '8'].map((v) => ({ value: v, label: v }))} />
          {type === 'TOTP' ? (
            <SelectField label={t('period')} name="period" value={period} onValue={setPeriod} options={['30', '60'].map((v) => ({ value: v, label: v }))} />
          ) : (
            <TextField label={t('counter')} name="counter" type="number" value={counter} onValue={setCounter} />
          )}
        </div>
      )}
      <div class="row end">
        <Button type="submit" busy={busy}>
          {t('create')}
        </Button>
      </div>
    </form>
  );
}

/** A field's own error under it (role=alert so screen readers hear it), in the danger colour. */
function FieldError({ children }: { children: string | undefined }) {
  return children ? (
    <span role="alert" style={{ color: 'var(--danger)' }}>
      {children}
    </span>
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
  const issues = (failure.details as { issues?: Array<{ path: string; message: string }> } | undefined)?.issues ?? [];
  if (issues.length === 0) return { destination: destinationInvalid };
  const errors: MessageFieldErrors = {};
  for (const issue of issues) {
    if (issue.path === 'destination') errors.destination ??= destinationInvalid;
    else if (issue.path === 'ownerUserId') errors.owner ??= text;
    else if (issue.path === 'description') errors.description ??= `${text} (${issue.message})`;
    else errors.form ??= `${text} (${issue.path}: ${issue.message})`;
  }
  return errors;
}

function MessageTokenForm({ onDone }: { onDone: (token: AdminToken) => void }) {
  const t = useTranslator(adminStrings);
  const m = useTranslator(messageTokenStrings);
  const [type, setType] = useState<'SMS' | 'EMAIL'>('SMS');
  const [owner, setOwner] = useState<AdminUser | null>(null);
  const [destination, setDestination] = useState('');
  const [edited, setEdited] = useState(false);
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<MessageFieldErrors>({});
  const [busy, setBusy] = useState(false);

  // The user's confirmed 2FA mobile number (else the contact number) or email address, until the admin types another.
  const prefill = (user: AdminUser | null, kind: 'SMS' | 'EMAIL') =>
    !user ? '' : kind === 'SMS' ? (user.smsPhoneVerified && user.smsPhone ? user.smsPhone : (user.phone ?? '')) : (user.email ?? '');
  function choose(user: AdminUser | null, kind: 'SMS' | 'EMAIL') {
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
          const token = await api.post<AdminToken>('/api/admin/tokens/message', {
            type,
            destination: destination.trim(),
            ownerUserId: owner!.id,
            description: description.trim() || undefined,
          });
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
        <UserPicker label={`${t('owner')} (${t('search')})`} onPick={(user) => choose(user, type)} />
      )}
      <FieldError>{errors.owner}</FieldError>
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
        aria-invalid={errors.destination ? 'true' : undefined}
        hint={errors.destination ? <FieldError>{errors.destination}</FieldError> : m(type === 'SMS' ? 'destinationSMSHint' : 'destinationEMAILHint')}
        maxLength={254}
      />
      <TextField label={t('description')} name="description" value={description} onValue={setDescription} maxLength={200} hint={errors.description ? <FieldError>{errors.description}</FieldError> : undefined} />
      <Alert>{errors.form}</Alert>
      <div class="row end">
        <Button type="submit" busy={busy}>
          {t('create')}
        </Button>
      </div>
    </form>
  );
}

interface ImportProblem {
  line?: number;
  row?: number;
  field?: string;
  message: string;
}

function ImportForm({ onDone }: { onDone: () => void }) {
  const t = useTranslator(adminStrings);
  const [format, setFormat] = useState<'csv' | 'pskc'>('csv');
  const [text, setText] = useState('');
  const [psk, setPsk] = useState('');
  const [preview, setPreview] = useState<Array<{ serial: string; type: string }> | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  async function send(dryRun: boolean) {
    setBusy(true);
    setProblems([]);
    try {
      const body = format === 'csv' ? { csv: text, dryRun } : { xml: text, preSharedKeyHex: psk.trim() || undefined, dryRun };
      const answer = await api.post<{ imported: number; tokens: Array<{ serial: string; type: string }> }>(`/api/admin/tokens/import/${format}`, body);
      if (dryRun) setPreview(answer.tokens);
      else {
        showToast(t('imported', { count: answer.imported }));
        onDone();
      }
    } catch (failure) {
      const details = failure instanceof ApiError ? (failure.details as { problems?: ImportProblem[]; errors?: ImportProblem[] } | undefined) : undefined;
      const list = details?.problems ?? details?.errors ?? [];
      setProblems([describeError(failure), ...list.map((p) => `${p.line ?? p.row ? `${t('line')} ${p.line ?? p.row}: ` : ''}${p.field ? `${p.field}: ` : ''}${p.message}`)]);
      setPreview(null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="stack">
      <Tabs tabs={[{ id: 'csv', label: 'CSV' }, { id: 'pskc', label: 'PSKC (RFC 6030)' }]} active={format} onSelect={(f) => { setFormat(f); setPreview(null); setProblems([]); }} />
      {format === 'csv' ? <p class="hint">{t('importHelp')}</p> : null}
      <div class="field">
        <label for="import-file">{format === 'csv' ? t('csvFile') : t('pskcFile')}</label>
        <input
          id="import-file"
          type="file"
          accept={format === 'csv' ? '.csv,text/csv' : '.xml,.pskc,application/xml'}
          onChange={async (event) => {
            const file = (event.currentTarget as HTMLInputElement).files?.[0];
            if (file) setText(await file.text());
          }}
        />
      </div>
      <textarea rows={8} aria-label={format === 'csv' ? t('csvFile') : t('pskcFile')} value={text} onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)} class="mono" />
      {format === 'pskc' ? <TextField label={t('preSharedKey')} name="psk" value={psk} onValue={setPsk} autocomplete="off" /> : null}
      {problems.length ? (
        <Alert>
          {problems[0]}
          {problems.length > 1 ? (
            <ul>
              {problems.slice(1).map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
        </Alert>
      ) : null}
      {preview ? (
        <Alert kind="info">
          {t('willImport', { count: preview.length })} {preview.slice(0, 10).map((p) => p.serial).join(', ')}
          {preview.length > 10 ? ' …' : ''}
        </Alert>
      ) : null}
      <div class="row end">
        <Button variant="secondary" busy={busy} disabled={!text} onClick={() => send(true)}>
          {t('preview')}
        </Button>
        <Button busy={busy} disabled={!text} onClick={() => send(false)}>
          {t('import')}
        </Button>
      </div>
    </div>
  );
}

export function TokenDetailPage({ id }: { id: string }) {
  const t = useTranslator(adminStrings);
  const path = `/api/admin/tokens/${id}`;
  const { data: token, error, reload } = useData<AdminToken>(path);
  const { busy, run } = useAction();
  const m = useTranslator(messageTokenStrings);
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
    try {
      const answer = await api.post<{ valid: boolean; reason?: string }>(`${path}/check`, { otp: otp.trim() });
      if (answer.valid) showToast(t('otpValid'));
      else showToast(`${t('otpInvalid')}${answer.reason && answer.reason !== 'OTP_INVALID' ? ` (${describeError(new ApiError(400, answer.reason, answer.reason))})` : ''}`, 'error');
      setOtp('');
      reload();
    } catch (failure) {
      showToast(describeError(failure), 'error');
    }
  }

  const message = isMessageTokenType(token.type);

  return (
    <>
      <a href="/admin/tokens" onClick={onLinkClick}>
        ‹ {t('tokens')}
      </a>
      <PageHeader title={<span class="mono">{token.serial}</span>}>
        <TokenStatus token={token} />
        <Button variant="secondary" busy={busy} onClick={() => run(() => api.patch(path, { enabled: !token.enabled }), t('saved')).then(reload)}>
          {token.enabled ? t('disable') : t('enable')}
        </Button>
        <Button
          variant="danger"
          busy={busy}
          onClick={async () => {
            if ((await confirmAction(t('confirmDelete', { name: token.serial }), t('delete'))) && (await run(() => api.delete(path), t('deleted')))) navigate('/admin/tokens', { force: true });
          }}
        >
          {t('delete')}
        </Button>
      </PageHeader>
      {token.type === 'PASSKEY' ? <PasskeyFacts token={token} /> : null}
      {token.type === 'RECOVERY_CODES' ? <RecoveryCodesPanel token={token} path={path} onChanged={reload} /> : null}
      {isCeremonyOrCodeSet(token.type) ? null : (
        <>
          <section class="panel grid-2">
            <div>
              {t('type')}: <strong>{token.type}</strong> ({token.destination ? <span class="mono">{token.destination}</span> : token.kind})
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
              {token.lockedUntil ? ` · ${t('locked')} → ${formatDateTime(token.lockedUntil)}` : ''}
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
                        const sent = await api.post<{ sentTo: string | null }>(`${path}/send-code`);
                        setCodeSentTo(sent.sentTo ?? token.destination ?? '');
                      })
                    }
                  >
                    {m('sendCode')}
                  </Button>
                </div>
              </div>
            ) : null}
            <form class="row" onSubmit={checkOtp}>
              <TextField label={t('otp')} name="check-otp" value={otp} onValue={setOtp} inputMode="numeric" autocomplete="off" required />
              <Button type="submit">{t('checkOtp')}</Button>
              {token.failCount > 0 || token.lockedUntil ? (
                <Button variant="secondary" busy={busy} onClick={() => run(() => api.post(`${path}/reset-fail-counter`), t('saved')).then(reload)}>
                  {t('resetFailCounter')}
                </Button>
              ) : null}
            </form>
          </section>
          {token.type !== 'OCRA' && !message ? (
            <section class="panel">
              <h2>{t('resync')}</h2>
              <form
                class="row"
                onSubmit={async (event) => {
                  event.preventDefault();
                  if (await run(() => api.post(`${path}/resync`, { otp1: otp1.trim(), otp2: otp2.trim() }), t('resynced'))) {
                    setOtp1('');
                    setOtp2('');
                    reload();
                  }
                }}
              >
                <TextField label={t('otp1')} name="otp1" value={otp1} onValue={setOtp1} inputMode="numeric" required />
                <TextField label={t('otp2')} name="otp2" value={otp2} onValue={setOtp2} inputMode="numeric" required />
                <Button type="submit" busy={busy}>
                  {t('resync')}
                </Button>
              </form>
            </section>
          ) : null}
          <section class="panel">
            <h2>{t('pin')}</h2>
            <form
              class="row"
              onSubmit={async (event) => {
                event.preventDefault();
                if (await run(() => api.put(`${path}/pin`, { pin, pinPosition }), t('saved'))) {
                  setPin('');
                  reload();
                }
              }}
            >
              <TextField label={t('pin')} name="pin" type="password" value={pin} onValue={setPin} inputMode="numeric" pattern="\d{4,8}" autocomplete="off" required />
              <SelectField label={t('pinPosition')} name="pinPosition" value={pinPosition} onValue={setPinPosition} options={[{ value: 'after', label: t('pinAfter') }, { value: 'before', label: t('pinBefore') }]} />
              <Button type="submit" busy={busy}>
                {t('setPin')}
              </Button>
              {token.hasPin ? (
                <Button variant="secondary" busy={busy} onClick={() => run(() => api.put(`${path}/pin`, { pin: null }), t('saved')).then(reload)}>
                  {t('removePin')}
                </Button>
              ) : null}
            </form>
          </section>
        </>
      )}
    </>
  );
}

/** A PASSKEY token: what the authenticator told us at registration, and how it has been used since. */
function PasskeyFacts({ token }: { token: AdminToken }) {
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
function RecoveryCodesPanel({ token, path, onChanged }: { token: AdminToken; path: string; onChanged: () => void }) {
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
          {token.lockedUntil ? ` · ${t('locked')} → ${formatDateTime(token.lockedUntil)}` : ''}
        </dd>
      </dl>
      <div class="row">
        {codes.remaining > 0 ? (
          <Button variant="danger" busy={busy} onClick={() => setConfirming(true)}>
            {f('voidCodes')}
          </Button>
        ) : null}
        {token.failCount > 0 || token.lockedUntil ? (
          <Button variant="secondary" busy={busy} onClick={() => run(() => api.post(`${path}/reset-fail-counter`), t('saved')).then(onChanged)}>
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
                if (await run(() => api.post(`${path}/void`), f('voided'))) {
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
