// One event as the console shows it: in the Events stream, among a host's recent events, and in the tooltip of a
// mark on an Explore graph. The alert type colours it (error red, warning amber, success green, others grey).
import type { EventRow } from './api.js';
import { h } from './dom.js';
import { ago, timeText } from './format.js';
import { routeHref } from './router.js';

export const ALERT_TYPES = ['error', 'warning', 'info', 'success', 'user_update', 'recommendation', 'snapshot'];

/** The CSS class of an alert type's colour. */
export function alertClass(alertType: string): string {
  return `alert-${ALERT_TYPES.includes(alertType) ? alertType : 'info'}`;
}

/** An event of the stream: title, when, source, host, priority, tags, and its text (collapsed until clicked). */
export function eventItem(e: EventRow, nowMs: number): HTMLElement {
  const text = h('div', { class: 'event-text collapsed' }, e.text);
  return h(
    'article',
    { class: `event ${alertClass(e.alertType)}`, 'data-id': e.id, 'data-alert-type': e.alertType },
    h(
      'div',
      { class: 'event-head' },
      h('a', { class: 'event-title', href: routeHref('events', { id: e.id }) }, e.title),
      h('time', { title: timeText(e.timeMs), datetime: new Date(e.timeMs).toISOString() }, ago(e.timeMs, nowMs)),
    ),
    h(
      'div',
      { class: 'event-meta' },
      h('span', { class: 'badge-soft' }, e.alertType),
      e.priority !== 'normal' ? h('span', { class: 'badge-soft' }, `priority ${e.priority}`) : null,
      e.source ? h('span', { class: 'event-source' }, e.source) : null,
      e.host ? h('a', { class: 'event-host mono', href: routeHref('hosts', { host: e.host }) }, e.host) : null,
      ...e.tags.map((t) => h('span', { class: 'chip' }, t)),
    ),
    e.text
      ? h(
          'div',
          {
            class: 'event-body',
            onclick: () => text.classList.toggle('collapsed'),
          },
          text,
        )
      : null,
  );
}

/** The tooltip of a graph mark: title, time, text. */
export function eventTip(e: EventRow): HTMLElement {
  return h(
    'div',
    { class: `event-tip ${alertClass(e.alertType)}` },
    h('strong', {}, e.title),
    h('div', { class: 'event-tip-time' }, `${timeText(e.timeMs)}${e.host ? ` · ${e.host}` : ''}`),
    e.text ? h('div', { class: 'event-tip-text' }, e.text) : null,
  );
}
