// The firing and pending counts beside the Alerts link of the header, so an alert shows whichever page is open. The
// header refreshes them from /api/v1/alerts; the Alerts page sets them whenever it loads, so both agree.
import { fetchAlerts, type AlertJson } from './api.js';
import { h } from './dom.js';
import { refresher } from './pages/page.js';

const REFRESH_MS = 30_000;

const firing = h('span', { class: 'nav-count state-firing', id: 'nav-firing', title: 'firing alerts', hidden: true });
const pending = h('span', {
  class: 'nav-count state-pending',
  id: 'nav-pending',
  title: 'pending alerts',
  hidden: true,
});

/** The counts' element, for the Alerts link; none shown until the first load. */
export function navAlertCounts(): HTMLElement {
  showAlertCounts([]);
  return h('span', { class: 'nav-counts' }, firing, pending);
}

export function showAlertCounts(alerts: readonly Pick<AlertJson, 'state'>[]): void {
  const n = (state: AlertJson['state']) => alerts.filter((a) => a.state === state).length;
  for (const [el, count] of [
    [firing, n('firing')],
    [pending, n('pending')],
  ] as const) {
    el.textContent = String(count);
    el.dataset.count = String(count);
    el.hidden = count === 0;
  }
}

/** Keeps the counts fresh while signed in; a failed load leaves them as they were. */
export function refreshAlertCounts(): { stop(): void } {
  return refresher(async (signal) => {
    try {
      showAlertCounts(await fetchAlerts(signal));
    } catch {
      // The page shows the API's errors; the header's counts just stay.
    }
  }, REFRESH_MS);
}
