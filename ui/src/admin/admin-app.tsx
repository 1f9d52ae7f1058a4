/**
 * The admin center: a sidebar of sections, an account menu (User Issues with its badge, profile, log off) and the
 * page for the current path. Feature pages with heavy parts (Security with the SAML editor) load lazily.
 */
import { useEffect, useState } from 'preact/hooks';
import { lazyPage } from '../components/lazy';
import { Card } from '../components/layout';
import { adminApi, answer as answerOf } from '../lib/api-client';
import { hasChosenLanguage, LANGUAGE_ENDONYMS, setLanguage, useLanguage, useTranslator } from '../lib/i18n';
import { matchPath, navigate, onLinkClick, useLocation } from '../lib/router';
import { loadSession, signOut, type SignedIn } from '../signin/session';
import { ApiKeysPage } from './api-keys-page';
import { OrganisationDetailPage, OrganisationsPage } from './organisations-page';
import { ResourceDetailPage, ResourcesPage } from './resources-page';
import { adminStrings } from './strings';
import { TokenDetailPage, TokensPage } from './tokens';
import { UserPage } from './users/user-page';
import { UsersPage } from './users-page';
import { ChevronDownIcon } from '../components/icons';

const SecurityPage = lazyPage(() => import('./security/security-page'));
const ActivitiesPage = lazyPage(() => import('./activities/activities-page'));
const AdminActivityPage = lazyPage(() => import('./admin-activity/admin-activity-page'));
const UserIssuesPage = lazyPage(() => import('./user-issues/user-issues-page'));
const ScriptDesignerPage = lazyPage(() => import('./security/saml/script-designer-page'));

interface Route {
  pattern: string;
  render: (params: Record<string, string>) => preact.JSX.Element;
}

const ROUTES: Route[] = [
  { pattern: '/admin/users', render: () => <UsersPage /> },
  { pattern: '/admin/users/:id', render: (p) => <UserPage id={p.id!} /> },
  { pattern: '/admin/offices', render: () => <OrganisationsPage kind="office" /> },
  { pattern: '/admin/offices/:id', render: (p) => <OrganisationDetailPage kind="office" id={p.id!} /> },
  { pattern: '/admin/groups', render: () => <OrganisationsPage kind="group" /> },
  { pattern: '/admin/groups/:id', render: (p) => <OrganisationDetailPage kind="group" id={p.id!} /> },
  { pattern: '/admin/resources', render: () => <ResourcesPage /> },
  { pattern: '/admin/resources/:id', render: (p) => <ResourceDetailPage id={p.id!} /> },
  { pattern: '/admin/tokens', render: () => <TokensPage /> },
  { pattern: '/admin/tokens/:id', render: (p) => <TokenDetailPage id={p.id!} /> },
  { pattern: '/admin/api-keys', render: () => <ApiKeysPage /> },
  { pattern: '/admin/security/sign-in-script', render: () => <ScriptDesignerPage /> },
  { pattern: '/admin/security', render: () => <SecurityPage /> },
  { pattern: '/admin/security/:section', render: () => <SecurityPage /> },
  { pattern: '/admin/activities', render: () => <ActivitiesPage /> },
  { pattern: '/admin/admin-activity', render: () => <AdminActivityPage /> },
  { pattern: '/admin/user-issues', render: () => <UserIssuesPage /> },
];

const USER_ISSUE_POLL_MS = 60_000;

export default function AdminApp() {
  const t = useTranslator(adminStrings);
  const { path } = useLocation();
  const [session, setSession] = useState<SignedIn | null | undefined>(undefined);

  useEffect(() => {
    loadSession().then((loaded) => {
      if (!loaded) navigate(`/login?next=${encodeURIComponent(location.pathname)}`, { replace: true });
      // The admin's own language setting, unless a language was chosen on this device (the account menu's switch).
      else if (!hasChosenLanguage()) setLanguage(loaded.user.language, { remember: false });
      setSession(loaded);
    });
  }, []);

  if (session === undefined || session === null) return <div class="loading" aria-busy="true" />;
  if (!session.user.isAdmin) return <Card title={t('adminCenter')}>{t('notAdmin')}</Card>;
  if (path === '/admin' || path === '/admin/') {
    navigate('/admin/users', { replace: true });
    return null;
  }

  let page: preact.JSX.Element | null = null;
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (params) {
      page = route.render(params);
      break;
    }
  }

  return (
    <div class="admin">
      <Sidebar path={path} />
      <div class="content">
        <header class="topbar">
          <AccountMenu session={session} />
        </header>
        {page ?? <p>{t('noItems')}</p>}
      </div>
    </div>
  );
}

function Sidebar({ path }: { path: string }) {
  const t = useTranslator(adminStrings);
  const link = (href: string, label: string) => (
    <a href={href} onClick={onLinkClick} class={path === href || path.startsWith(href + '/') ? 'active' : ''}>
      {label}
    </a>
  );
  return (
    <nav class="sidebar" aria-label={t('adminCenter')}>
      <div class="brand">{t('adminCenter')}</div>
      <div class="section">{t('directory')}</div>
      {link('/admin/users', t('users'))}
      {link('/admin/offices', t('offices'))}
      {link('/admin/groups', t('groups'))}
      <div class="section">{t('otpSection')}</div>
      {link('/admin/resources', t('resources'))}
      {link('/admin/tokens', t('tokens'))}
      <div class="section">{t('misc')}</div>
      {link('/admin/security', t('security'))}
      {link('/admin/activities', t('activities'))}
      {link('/admin/admin-activity', t('adminActivity'))}
      {link('/admin/api-keys', t('apiKeys'))}
    </nav>
  );
}

function AccountMenu({ session }: { session: SignedIn }) {
  const t = useTranslator(adminStrings);
  const [open, setOpen] = useState(false);
  const openIssues = useOpenIssueCount();
  const language = useLanguage();
  const languageItem = (value: 'de' | 'en', label: string) => (
    <button role="menuitemradio" type="button" aria-checked={language === value} lang={value} onClick={() => setLanguage(value)}>
      {label}
    </button>
  );
  return (
    <div class="menu">
      <button type="button" class="icon-button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        {session.user.login} {openIssues > 0 ? <span class="badge" title={t('userIssues')}>{openIssues}</span> : null} <ChevronDownIcon />
      </button>
      {open ? (
        <div class="menu-items" role="menu" onClick={() => setOpen(false)}>
          <a role="menuitem" href="/admin/user-issues" onClick={onLinkClick}>
            {t('userIssues')} {openIssues > 0 ? <span class="badge">{openIssues}</span> : null}
          </a>
          <a role="menuitem" href="/profile" onClick={onLinkClick}>
            {t('profile')}
          </a>
          <div role="group" aria-label={t('language')} class="menu-group">
            {languageItem('de', LANGUAGE_ENDONYMS.de)}
            {languageItem('en', LANGUAGE_ENDONYMS.en)}
          </div>
          <button role="menuitem" type="button" onClick={() => void signOut()}>
            {t('logOff')}
          </button>
        </div>
      ) : null}
    </div>
  );
}

/** The in-app badge of open access recovery requests, refreshed while the admin center is open. */
function useOpenIssueCount(): number {
  const [count, setCount] = useState(0);
  useEffect(() => {
    let stopped = false;
    const load = () =>
      answerOf(adminApi['user-issues'].count.$get())
        .then((answer) => !stopped && setCount(answer.open))
        .catch(() => undefined);
    load();
    const timer = setInterval(load, USER_ISSUE_POLL_MS);
    window.addEventListener('eid:user-issues-changed', load);
    return () => {
      stopped = true;
      clearInterval(timer);
      window.removeEventListener('eid:user-issues-changed', load);
    };
  }, []);
  return count;
}
