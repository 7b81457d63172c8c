// An alert as the ruler hands it to the notifier, and its encoding as one element of Alertmanager's API v2
// `POST /api/v2/alerts` body (a PostableAlert).
import type { AlertNotification } from '../model/alert.js';

/**
 * The alert as API v2 JSON, with the external labels added where the alert has no such label. A label with an
 * empty value counts as absent, as in Prometheus (an empty label value is no label), and is not sent.
 */
export function encodeAlert(alert: AlertNotification, externalLabels: Readonly<Record<string, string>>): string {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(alert.labels)) if (value !== '') labels[name] = value;
  for (const [name, value] of Object.entries(externalLabels)) if (labels[name] === undefined) labels[name] = value;
  const postable: Record<string, unknown> = { labels, annotations: alert.annotations };
  const startsAt = apiTime(alert.startsAt);
  // Alertmanager sets a missing startsAt to the time it receives the alert; an invalid one would fail the batch.
  if (startsAt !== undefined) postable.startsAt = startsAt;
  const endsAt = alert.endsAt === undefined ? undefined : apiTime(alert.endsAt);
  if (endsAt !== undefined) postable.endsAt = endsAt;
  if (alert.generatorURL) postable.generatorURL = alert.generatorURL;
  return JSON.stringify(postable);
}

/** The last millisecond of year 9999: later years need more than RFC 3339's four digits. */
const MAX_API_TIME_MS = 253_402_300_799_999;

/** RFC 3339 with milliseconds in UTC, as Prometheus writes alert times; undefined for a time RFC 3339 cannot hold. */
function apiTime(ms: number): string | undefined {
  if (!(ms >= 0 && ms <= MAX_API_TIME_MS)) return undefined;
  return new Date(ms).toISOString();
}
