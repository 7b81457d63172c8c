// The JSON the console's endpoints answer, shared by the server (src/console) and the browser (web/console).
// Types only, no imports: the browser's type-check includes this file.

/** `GET /console/api/session`: who the key signs in as. */
export interface ConsoleSession {
  tenant: string;
  mode: 'store' | 'gateway';
  /** promdog's version. */
  version: string;
  /**
   * Why the tenant's data cannot be queried (gateway mode without a query URL for it), saying what to configure;
   * null when the query API answers. Pages that query show it once instead of loading.
   */
  queryUnavailable: string | null;
}

/** One host of `GET /console/api/hosts`. Times are ms since the epoch. */
export interface HostRow {
  host: string;
  /** Host tags from the host's metadata (`key:value` or bare), sorted; empty when it only appears in series. */
  tags: string[];
  /** '' when unknown (no metadata). */
  agentVersion: string;
  os: string;
  /** When its last metadata payload arrived, null without metadata. */
  metadataSeenMs: number | null;
  /** Newest sample of its series in the window, null when none (or in gateway mode). */
  seriesSeenMs: number | null;
  /** The later of the two. */
  lastSeenMs: number;
  /** Series with a sample in the window; null in gateway mode (no store to count them in). */
  series: number | null;
}

/** `GET /console/api/hosts`: the tenant's hosts, sorted by name. */
export interface HostsAnswer {
  hosts: HostRow[];
  /** How far back series were looked at (ms). */
  windowMs: number;
  warnings: string[];
}

/** One event of `GET /console/api/events`. Times are ms since the epoch. */
export interface EventRow {
  /** The event id (a decimal string: as the Datadog APIs' `id_str`). */
  id: string;
  timeMs: number;
  title: string;
  text: string;
  /** '' when none. */
  host: string;
  tags: string[];
  /** The source type name, '' when none. */
  source: string;
  /** normal, low (v2 alerts: 1 to 5). */
  priority: string;
  /** error, warning, info, success, user_update, recommendation, snapshot. */
  alertType: string;
  aggregationKey: string;
}

/** `GET /console/api/events`: the page of events asked for, in the order asked for. */
export interface EventsAnswer {
  events: EventRow[];
  /** Pass as `cursor` for the next page; null when there is none. */
  next: string | null;
  /** The time range that was searched (ms). */
  fromMs: number;
  toMs: number;
}
