/**
 * The UI's entry: picks the surface by path. Sign-in pages are in this chunk; the profile, the self-service
 * portal and the admin center are separate chunks loaded when visited.
 */
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { lazyPage } from './components/lazy';
import { Toasts } from './components/toast';
import { navigate, useLocation } from './lib/router';
import { LoginPage } from './signin/login-page';
import { ResetPage } from './signin/reset-page';
import { loadSession } from './signin/session';
import './styles.css';

const AdminApp = lazyPage(() => import('./admin/admin-app'));
const PortalApp = lazyPage<{ alias: string }>(() => import('./portal/portal-app'));
const ProfilePage = lazyPage(() => import('./profile/profile-page'));
const WelcomePage = lazyPage(() => import('./signin/welcome-page'));

function Home() {
  useEffect(() => {
    loadSession().then((session) => navigate(session ? (session.user.isAdmin ? '/admin' : '/profile') : '/login', { replace: true }));
  }, []);
  return <div class="loading" aria-busy="true" />;
}

function App() {
  const { path } = useLocation();
  const portal = /^\/selfservice\/([^/]+)/.exec(path);
  let page;
  if (path === '/login' || path === '/login/') page = <LoginPage />;
  else if (path.startsWith('/login/reset')) page = <ResetPage />;
  else if (path.startsWith('/welcome')) page = <WelcomePage />;
  else if (path.startsWith('/profile')) page = <ProfilePage />;
  else if (path.startsWith('/admin')) page = <AdminApp />;
  else if (portal) page = <PortalApp alias={decodeURIComponent(portal[1]!)} />;
  else page = <Home />;
  return (
    <>
      {page}
      <Toasts />
    </>
  );
}

render(<App />, document.getElementById('app')!);
