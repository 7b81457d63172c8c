// The promdog web console: sign-in with a tenant API key, then hash-routed pages. The key lives in
// sessionStorage (gone when the tab closes) and goes out as `Authorization: Bearer` on every request.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { fetchSession, setUnauthorizedHandler, storedKey, storeKey, ApiError, type Session } from './api.js';
import { h, replaceChildren } from './dom.js';
import { currentRoute, routeHref } from './router.js';
import type { Page, PageFactory } from './pages/page.js';
import { overviewPage } from './pages/overview.js';
import { explorePage } from './pages/explore.js';
import { hostsPage } from './pages/hosts.js';
import { checksPage } from './pages/checks.js';
import { eventsPage } from './pages/events.js';
import { alertsPage } from './pages/alerts.js';
import { rulesPage } from './pages/rules.js';
import { navAlertCounts, refreshAlertCounts } from './nav-alerts.js';

const PAGES: { id: string; title: string; factory: PageFactory }[] = [
  { id: 'overview', title: 'DD API / Overview', factory: overviewPage },
  { id: 'explore', title: 'Explore', factory: explorePage },
  { id: 'hosts', title: 'Hosts', factory: hostsPage },
  { id: 'checks', title: 'Service checks', factory: checksPage },
  { id: 'events', title: 'Events', factory: eventsPage },
  { id: 'alerts', title: 'Alerts', factory: alertsPage },
  { id: 'rules', title: 'Rules', factory: rulesPage },
];

const app = document.getElementById('app')!;
let session: Session | undefined;
let mounted: Page | undefined;
let alertCounts: { stop(): void } | undefined;

function signOut(message = ''): void {
  mounted?.unmount();
  mounted = undefined;
  alertCounts?.stop();
  alertCounts = undefined;
  session = undefined;
  storeKey(null);
  showSignIn(message);
}

function showSignIn(message: string): void {
  const keyInput = h('input', { type: 'password', id: 'api-key', autocomplete: 'off', placeholder: 'tenant API key' });
  const error = h('div', { class: 'error', id: 'sign-in-error', role: 'alert', hidden: message === '' }, message);
  const button = h('button', { type: 'submit', class: 'primary', id: 'sign-in' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'sign-in',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        button.disabled = true;
        const key = keyInput.value.trim();
        fetchSession(key || null)
          .then((s) => {
            storeKey(key);
            start(s);
          })
          .catch((e: unknown) => {
            button.disabled = false;
            error.hidden = false;
            error.textContent =
              e instanceof ApiError && e.status === 401
                ? `This key does not belong to any tenant of this promdog (${e.message}).`
                : `Sign-in failed: ${e instanceof Error ? e.message : String(e)}`;
          });
      },
    },
    h('h1', {}, 'promdog'),
    h(
      'p',
      {},
      'Sign in with a tenant API key. promdog writes each tenant\u2019s key to ',
      h('code', {}, '<data-dir>/tenant-api-token-<tenant>'),
      ' at first start; the ',
      h('code', {}, 'system'),
      ' tenant holds promdog\u2019s own metrics.',
    ),
    h('label', { for: 'api-key' }, 'API key'),
    keyInput,
    button,
    error,
    h('p', { class: 'hint' }, 'With --no-auth, leave the key empty. The key is kept in this browser tab only.'),
  );
  replaceChildren(app, h('main', { class: 'sign-in-page' }, form));
  keyInput.focus();
}

function start(s: Session): void {
  session = s;
  const nav = h(
    'nav',
    {},
    ...PAGES.map((p) =>
      h('a', { href: routeHref(p.id), 'data-page': p.id }, p.title, p.id === 'alerts' ? navAlertCounts() : null),
    ),
  );
  const header = h(
    'header',
    {},
    h('a', { class: 'brand', href: routeHref(s.tenant === 'system' ? 'overview' : 'explore') }, 'promdog'),
    nav,
    h(
      'div',
      { class: 'who' },
      h(
        'span',
        {
          class: 'tenant',
          id: 'tenant',
          title: `promdog ${s.version}, ${s.mode === 'store' ? 'embedded store' : 'gateway'} mode`,
        },
        `tenant: ${s.tenant}`,
      ),
      h('button', { type: 'button', id: 'sign-out', onclick: () => signOut() }, 'Sign out'),
    ),
  );
  replaceChildren(app, header, h('main', { id: 'page' }));
  alertCounts = refreshAlertCounts();
  route();
}

function route(): void {
  if (!session) return;
  const { page, params } = currentRoute();
  const def = PAGES.find((p) => p.id === page);
  if (!def) {
    // The system tenant lands on its dashboard, any other tenant on Explore.
    location.replace(routeHref(session.tenant === 'system' ? 'overview' : 'explore'));
    return;
  }
  mounted?.unmount();
  const root = document.getElementById('page')!;
  root.replaceChildren();
  document.title = `${def.title} · promdog`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a'))
    a.classList.toggle('active', a.dataset.page === def.id);
  mounted = def.factory(root, { session, params });
}

window.addEventListener('hashchange', route);
setUnauthorizedHandler((message) => signOut(`Signed out: the key is no longer accepted (${message}).`));

const key = storedKey();
if (key === null) showSignIn('');
else {
  fetchSession(key || null)
    .then(start)
    .catch((e: unknown) => signOut(e instanceof Error ? e.message : String(e)));
}
