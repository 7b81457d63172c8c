/**
 * An alert on its way from the ruler to a tenant's Alertmanagers (the fields of Alertmanager API v2's
 * `PostableAlert`; times in ms since the epoch).
 */
export interface AlertNotification {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  /**
   * A resolved alert carries the time it resolved; a firing one the time after which Alertmanager may consider it
   * resolved if it hears nothing more (Prometheus sends now + 4 × the resend delay).
   */
  endsAt?: number;
  generatorURL: string;
}
