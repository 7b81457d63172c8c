// What the ruler needs from the rest of promdog, as functions the composition root hands it (the ruler imports no
// store, sink, query client or notifier): a query at a time, an append of its results, and a way to send alerts.
import type { AlertNotification } from '../model/alert.js';
import type { PromSeries } from '../model/prometheus.js';
import type { RawResult } from '../promql/engine.js';

/**
 * An instant query of a tenant's data at `timeMs`, as the engine answers it: a vector or scalar for rule
 * expressions, a matrix for range selectors (the ALERTS_FOR_STATE look-up when restoring `for` state). Rejects with
 * the query's error.
 */
export type RuleQuery = (tenant: string, expr: string, timeMs: number) => Promise<RawResult>;

/**
 * Appends rule results (recording rules, ALERTS, ALERTS_FOR_STATE, stale markers) for a tenant; resolves when they
 * are durable (the embedded store's WAL, or every remote-write target), rejects when any sample was refused.
 */
export type RuleAppend = (tenant: string, series: PromSeries[]) => Promise<void>;

/** Sends a tenant's alerts (the root wires it to that tenant's notifier). Never blocks, never throws. */
export type RuleNotify = (tenant: string, alerts: AlertNotification[]) => void;
