/** Users: searchable list and create; the user form the user page (users/user-page.tsx) edits with. */
import { useEffect, useState } from 'preact/hooks';
import { Button, Checkbox, Form, SelectField, TextField } from '../components/form';
import { Dialog } from '../components/layout';
import { adminApi, answer } from '../lib/api-client';
import { currentLanguage, LANGUAGE_ENDONYMS, useTranslator } from '../lib/i18n';
import { navigate } from '../lib/router';
import { adminStrings } from './strings';
import { useUnsavedChangesGuard } from './unsaved-changes';
import { useAction, usePagedAnswer } from './use-data';
import type { UserAnswer } from '../../../worker/users/answers';
import { EMAIL_MAX_LENGTH, LOGIN_MAX_LENGTH, PASSWORD_MIN_LENGTH, PERSON_NAME_MAX_LENGTH, PHONE_MAX_LENGTH } from '../../../worker/contract/fields';
import { CheckIcon } from '../components/icons';
import { ListPage } from '../components/list-page';

export function UsersPage() {
  const t = useTranslator(adminStrings);
  const list = usePagedAnswer((query, init) => answer(adminApi.users.$get({ query }, { init })), []);
  const [creating, setCreating] = useState(false);
  return (
    <ListPage
      title={t('users')}
      actions={<Button onClick={() => setCreating(true)}>{t('newUser')}</Button>}
      list={list}
      href={(user) => `/admin/users/${user.id}`}
      testId="users-table"
      columns={[
        {
          header: t('login'),
          text: (user) => user.login,
          cell: (user) => (
            <>
              {user.login}
              {user.isAdmin ? <span class="pill" style="margin-left:.4rem">{t('administrator')}</span> : null}
            </>
          ),
        },
        { header: t('name'), text: (user) => `${user.firstName} ${user.lastName}`.trim(), cell: (user) => `${user.firstName} ${user.lastName}`.trim() },
        { header: t('email'), text: (user) => user.email ?? '', cell: (user) => user.email ?? '', clip: true },
        {
          header: t('status'),
          width: '8rem',
          cell: (user) => (user.enabled ? <span class="pill ok">{t('enabled')}</span> : <span class="pill off">{t('disabled')}</span>),
        },
      ]}
    >
      <Dialog title={t('newUser')} open={creating} onClose={() => setCreating(false)}>
        <UserForm
          onDone={(user) => {
            setCreating(false);
            if (user) navigate(`/admin/users/${user.id}`);
          }}
        />
      </Dialog>
    </ListPage>
  );
}

export function UserForm({ user, onDone }: { user?: UserAnswer; onDone: (user: UserAnswer | null) => void }) {
  const t = useTranslator(adminStrings);
  const [login, setLogin] = useState(user?.login ?? '');
  const [firstName, setFirstName] = useState(user?.firstName ?? '');
  const [lastName, setLastName] = useState(user?.lastName ?? '');
  const [email, setEmail] = useState(user?.email ?? '');
  const [phone, setPhone] = useState(user?.phone ?? '');
  // A new user is most likely to speak the language the admin works in.
  const [language, setLanguage] = useState<'de' | 'en'>(user?.language ?? currentLanguage());
  const [password, setPassword] = useState('');
  const [isAdmin, setIsAdmin] = useState(user?.isAdmin ?? false);
  const [enabled, setEnabled] = useState(user?.enabled ?? true);
  const { busy, run, form } = useAction();
  // Only the user page's edit form guards leaving: the create dialog navigates to the new user as it closes.
  const edited =
    user !== undefined &&
    (login !== user.login ||
      firstName !== user.firstName ||
      lastName !== user.lastName ||
      email !== (user.email ?? '') ||
      phone !== (user.phone ?? '') ||
      language !== user.language ||
      password !== '' ||
      isAdmin !== user.isAdmin ||
      enabled !== user.enabled);
  useUnsavedChangesGuard(edited);

  async function submit(event: Event) {
    event.preventDefault();
    const body = { login, firstName, lastName, email: email.trim() || null, phone: phone.trim() || null, language, isAdmin, enabled };
    let saved: UserAnswer | null = null;
    const ok = await run(async () => {
      if (user) saved = await answer(adminApi.users[':id'].$patch({ param: { id: user.id }, json: body }));
      else saved = await answer(adminApi.users.$post({ json: password ? { ...body, password } : body }));
    }, t('saved'));
    if (ok) onDone(saved);
  }

  return (
    <Form {...form} class="stack" onSubmit={submit}>
      <div class="grid-2">
        <TextField label={t('login')} name="login" value={login} onValue={setLogin} rules={{ pattern: 'login', maxLength: LOGIN_MAX_LENGTH }} required autoFocus />
        <SelectField label={t('language')} name="language" value={language} onValue={setLanguage} options={(['en', 'de'] as const).map((value) => ({ value, label: LANGUAGE_ENDONYMS[value] }))} />
        <TextField label={t('firstName')} name="firstName" value={firstName} onValue={setFirstName} rules={{ maxLength: PERSON_NAME_MAX_LENGTH }} />
        <TextField label={t('lastName')} name="lastName" value={lastName} onValue={setLastName} rules={{ maxLength: PERSON_NAME_MAX_LENGTH }} />
        <TextField label={t('email')} name="email" type="email" value={email} onValue={setEmail} rules={{ maxLength: EMAIL_MAX_LENGTH }} />
        <TextField label={t('phone')} name="phone" type="tel" value={phone} onValue={setPhone} rules={{ maxLength: PHONE_MAX_LENGTH }} />
      </div>
      {user ? null : <TextField label={t('password')} name="password" type="password" value={password} onValue={setPassword} autocomplete="new-password" hint={t('passwordHint')} rules={{ minLength: PASSWORD_MIN_LENGTH }} />}
      <Checkbox label={t('administrator')} checked={isAdmin} onChecked={setIsAdmin} name="isAdmin" />
      <Checkbox label={t('enabled')} checked={enabled} onChecked={setEnabled} name="enabled" />
      <div class="row end">
        <Button variant="secondary" onClick={() => onDone(null)}>
          {t('cancel')}
        </Button>
        <Button type="submit" busy={busy}>
          {user ? t('save') : t('create')}
        </Button>
      </div>
    </Form>
  );
}

/** A user picker backed by the user search API (for assignments and memberships). */
/** `pickLabel`: the match's button, where picking is itself the action (e.g. "Assign user"); default "User". */
export function UserPicker({ label, pickLabel, onPick }: { label: string; pickLabel?: string; onPick: (user: UserAnswer) => void }) {
  const t = useTranslator(adminStrings);
  const [search, setSearch] = useState('');
  const [matches, setMatches] = useState<UserAnswer[]>([]);
  useEffect(() => {
    if (!search.trim()) return setMatches([]);
    const controller = new AbortController();
    const timer = setTimeout(() => {
      answer(adminApi.users.$get({ query: { search: search.trim(), pageSize: '8' } }, { init: { signal: controller.signal } }))
        .then((page) => setMatches(page.items))
        .catch(() => undefined);
    }, 200);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [search]);
  return (
    <div class="stack">
      <TextField label={label} name="user-search" type="search" value={search} onValue={setSearch} />
      {search.trim() && matches.length === 0 ? <span class="muted">{t('noMatches')}</span> : null}
      <ul class="sortable-list">
        {matches.map((user) => (
          <li key={user.id}>
            <span>
              <strong>{user.login}</strong> <span class="muted">{`${user.firstName} ${user.lastName}`.trim()}</span>
            </span>
            <span class="spacer" />
            <Button
              variant="secondary"
              onClick={() => {
                onPick(user);
                setSearch('');
              }}
            >
              {pickLabel ?? t('pickUser')} <CheckIcon />
            </Button>
          </li>
        ))}
      </ul>
    </div>
  );
}
