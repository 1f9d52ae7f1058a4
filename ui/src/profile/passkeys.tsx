/**
 * /profile's passkeys: the list (name, created, last used, whether the passkey is synced to other devices), add,
 * rename and remove. Adding and removing change the user's factors, so the server asks for the current second
 * factor first (STEP_UP_REQUIRED); the caller's client is wrapped for that and opens the step-up dialog. Renaming
 * changes only a label and needs no proof.
 */
import { PASSKEY_NAME_MAX_LENGTH } from '../../../worker/contract/fields';
import { useState } from 'preact/hooks';
import { Alert, Button, TextField } from '../components/form';
import { answer, profileApi, type ProfileApi } from '../lib/api-client';
import { describeError, formatDateTime, useTranslator, type Dictionaries } from '../lib/i18n';
import type { ProfileAnswer } from '../../../worker/profile/answers';
import { createPasskey, isCancelledCeremony, passkeysSupported } from '../lib/webauthn';

/** A passkey as GET /api/profile declares it. */
export type PasskeyEntry = ProfileAnswer['passkeys'][number];


const strings: Dictionaries = {
  en: {
    passkeysTitle: 'Passkeys',
    passkeysIntro: 'A passkey signs you in with your fingerprint, face or device PIN instead of a code. It works only on this site, so a fake page cannot use it.',
    passkeysNone: 'You have no passkeys yet.',
    passkeysUnsupported: 'Passkeys cannot be made here: this browser has no passkey support, or the site was opened by an IP address instead of its name.',
    passkeyCreated: 'Added {date}',
    passkeyLastUsed: 'last used {date}',
    passkeyNeverUsed: 'not used yet',
    passkeySynced: 'Synced',
    passkeySyncedHint: 'Backed up by your password manager and available on your other devices.',
    passkeyThisDevice: 'This device only',
    passkeyAdd: 'Add a passkey',
    passkeyName: 'Name of the passkey',
    passkeyNameHint: 'So you can tell your passkeys apart, e.g. "Work laptop" or "Phone".',
    passkeyDefaultName: 'Passkey {number}',
    passkeyCreate: 'Create passkey',
    passkeyAdded: 'The passkey "{name}" is added. You can sign in with it from now on.',
    passkeyRename: 'Rename',
    passkeySave: 'Save',
    passkeyRenamed: 'The passkey is renamed.',
    passkeyRemove: 'Remove',
    passkeyRemoveConfirm: 'Remove the passkey "{name}"? You can no longer sign in with it. Also delete it from your device or password manager.',
    passkeyRemoveYes: 'Remove passkey',
    passkeyRemoved: 'The passkey "{name}" is removed.',
    passkeyCancel: 'Cancel',
  },
  de: {
    passkeysTitle: 'Passkeys',
    passkeysIntro: 'Mit einem Passkey melden Sie sich per Fingerabdruck, Gesichtserkennung oder Geräte-PIN an statt mit einem Code. Er funktioniert nur auf dieser Website, eine gefälschte Seite kann ihn nicht nutzen.',
    passkeysNone: 'Sie haben noch keine Passkeys.',
    passkeysUnsupported: 'Hier können keine Passkeys erstellt werden: Dieser Browser unterstützt keine Passkeys, oder die Website wurde über eine IP-Adresse statt über ihren Namen geöffnet.',
    passkeyCreated: 'Hinzugefügt {date}',
    passkeyLastUsed: 'zuletzt verwendet {date}',
    passkeyNeverUsed: 'noch nicht verwendet',
    passkeySynced: 'Synchronisiert',
    passkeySyncedHint: 'Von Ihrem Passwort-Manager gesichert und auf Ihren anderen Geräten verfügbar.',
    passkeyThisDevice: 'Nur dieses Gerät',
    passkeyAdd: 'Passkey hinzufügen',
    passkeyName: 'Name des Passkeys',
    passkeyNameHint: 'Damit Sie Ihre Passkeys unterscheiden können, z. B. „Arbeitslaptop“ oder „Handy“.',
    passkeyDefaultName: 'Passkey {number}',
    passkeyCreate: 'Passkey erstellen',
    passkeyAdded: 'Der Passkey „{name}“ ist hinzugefügt. Ab jetzt können Sie sich damit anmelden.',
    passkeyRename: 'Umbenennen',
    passkeySave: 'Speichern',
    passkeyRenamed: 'Der Passkey ist umbenannt.',
    passkeyRemove: 'Entfernen',
    passkeyRemoveConfirm: 'Den Passkey „{name}“ entfernen? Sie können sich dann nicht mehr damit anmelden. Löschen Sie ihn auch auf Ihrem Gerät oder in Ihrem Passwort-Manager.',
    passkeyRemoveYes: 'Passkey entfernen',
    passkeyRemoved: 'Der Passkey „{name}“ ist entfernt.',
    passkeyCancel: 'Abbrechen',
  },
};

/** What the user is doing in the section; the stored passkeys come from the server (`passkeys`). */
type Editing = { kind: 'idle' } | { kind: 'add' } | { kind: 'rename'; id: string } | { kind: 'remove'; id: string };

/**
 * `client` is the step-up-wrapped API client (adding and removing may ask for the current factor first);
 * `onPasskeys` receives the list after each change.
 */
export function PasskeysSection(props: { passkeys: PasskeyEntry[]; client: ProfileApi; onPasskeys: (passkeys: PasskeyEntry[]) => void }) {
  const t = useTranslator(strings);
  const { passkeys, client } = props;
  const [editing, setEditing] = useState<Editing>({ kind: 'idle' });
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState<{ kind: 'success' | 'info'; text: string } | null>(null);
  const supported = passkeysSupported();

  function edit(next: Editing, initialName = '') {
    setEditing(next);
    setName(initialName);
    setError('');
    setNotice(null);
  }

  async function act(work: () => Promise<void>) {
    setBusy(true);
    setError('');
    setNotice(null);
    try {
      await work();
    } catch (failure) {
      // Closing the browser's passkey prompt is a choice, not a failure: said calmly, and the form stays open.
      if (isCancelledCeremony(failure)) setNotice({ kind: 'info', text: describeError(failure) });
      else setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  const add = () =>
    act(async () => {
      const label = name.trim();
      const { options } = await answer(client.passkeys.options.$post({ json: {} }));
      const credential = await createPasskey(options);
      const added = await answer(client.passkeys.$post({ json: { credential, name: label } }));
      props.onPasskeys([...passkeys, added]);
      edit({ kind: 'idle' });
      setNotice({ kind: 'success', text: t('passkeyAdded', { name: added.name }) });
    });

  const rename = (id: string) =>
    act(async () => {
      const renamed = await answer(profileApi.passkeys[':id'].$patch({ param: { id }, json: { name: name.trim() } }));
      props.onPasskeys(passkeys.map((passkey) => (passkey.id === id ? renamed : passkey)));
      edit({ kind: 'idle' });
      setNotice({ kind: 'success', text: t('passkeyRenamed') });
    });

  const remove = (passkey: PasskeyEntry) =>
    act(async () => {
      await answer(client.passkeys[':id'].$delete({ param: { id: passkey.id } }));
      props.onPasskeys(passkeys.filter((entry) => entry.id !== passkey.id));
      edit({ kind: 'idle' });
      setNotice({ kind: 'success', text: t('passkeyRemoved', { name: passkey.name }) });
    });

  const nameField = (label: string) => (
    <TextField label={label} name="passkey-name" value={name} onValue={setName} hint={t('passkeyNameHint')} rules={{ maxLength: PASSKEY_NAME_MAX_LENGTH }} required autoFocus />
  );

  return (
    <section class="stack" aria-label={t('passkeysTitle')}>
      <h2>{t('passkeysTitle')}</h2>
      <p class="hint">{t('passkeysIntro')}</p>
      {passkeys.length === 0 ? <p>{t('passkeysNone')}</p> : null}
      <ul class="sortable-list" data-testid="passkeys">
        {passkeys.map((passkey) => (
          <li key={passkey.id} data-testid="passkey" class="stack" style={{ alignItems: 'stretch' }}>
            {editing.kind === 'rename' && editing.id === passkey.id ? (
              <form
                class="stack"
                onSubmit={(event) => {
                  event.preventDefault();
                  void rename(passkey.id);
                }}
              >
                {nameField(t('passkeyName'))}
                <div class="row">
                  <Button type="submit" busy={busy}>
                    {t('passkeySave')}
                  </Button>
                  <Button variant="link" disabled={busy} onClick={() => edit({ kind: 'idle' })}>
                    {t('passkeyCancel')}
                  </Button>
                </div>
              </form>
            ) : (
              <div class="row">
                <strong>{passkey.name}</strong>
                {passkey.backedUp ? (
                  <span class="pill ok" title={t('passkeySyncedHint')}>
                    {t('passkeySynced')}
                  </span>
                ) : (
                  <span class="pill off">{t('passkeyThisDevice')}</span>
                )}
                <span class="spacer" />
                <Button variant="link" disabled={busy} onClick={() => edit({ kind: 'rename', id: passkey.id }, passkey.name)}>
                  {t('passkeyRename')}
                </Button>
                <Button variant="link" disabled={busy} onClick={() => edit({ kind: 'remove', id: passkey.id })}>
                  {t('passkeyRemove')}
                </Button>
              </div>
            )}
            <small class="muted">
              {t('passkeyCreated', { date: formatDateTime(passkey.createdAt) })} ·{' '}
              {passkey.lastUsedAt ? t('passkeyLastUsed', { date: formatDateTime(passkey.lastUsedAt) }) : t('passkeyNeverUsed')}
            </small>
            {editing.kind === 'remove' && editing.id === passkey.id ? (
              <div class="stack">
                <Alert kind="warning">{t('passkeyRemoveConfirm', { name: passkey.name })}</Alert>
                <div class="row">
                  <Button variant="danger" busy={busy} onClick={() => void remove(passkey)}>
                    {t('passkeyRemoveYes')}
                  </Button>
                  <Button variant="link" disabled={busy} onClick={() => edit({ kind: 'idle' })}>
                    {t('passkeyCancel')}
                  </Button>
                </div>
              </div>
            ) : null}
          </li>
        ))}
      </ul>
      {editing.kind === 'add' ? (
        <form
          class="stack"
          onSubmit={(event) => {
            event.preventDefault();
            void add();
          }}
        >
          {nameField(t('passkeyName'))}
          <div class="row">
            <Button type="submit" busy={busy}>
              {t('passkeyCreate')}
            </Button>
            <Button variant="link" disabled={busy} onClick={() => edit({ kind: 'idle' })}>
              {t('passkeyCancel')}
            </Button>
          </div>
        </form>
      ) : supported ? (
        <div class="row">
          <Button variant="secondary" disabled={busy} onClick={() => edit({ kind: 'add' }, t('passkeyDefaultName', { number: passkeys.length + 1 }))}>
            {t('passkeyAdd')}
          </Button>
        </div>
      ) : (
        <Alert kind="info">{t('passkeysUnsupported')}</Alert>
      )}
      <Alert>{error}</Alert>
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
    </section>
  );
}
