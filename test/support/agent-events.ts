// Test support: an `/intake/` events payload written the way the Datadog Agent serializes one
// (pkg/serializer/internal/metrics/events.go in DataDog/datadog-agent): {"apiKey":"","events":{"<source type
// name>":[...],...},"internalHostname":"<host>"}, events sorted by source type name, an empty one under "api",
// fields in the Agent's order, optional ones only when set. The Agent captures in test/fixtures hold no events.

export interface AgentEvent {
  title: string;
  text: string;
  /** Unix seconds. */
  ts: number;
  priority?: 'normal' | 'low';
  host: string;
  tags: string[];
  alertType?: string;
  aggregationKey?: string;
  sourceTypeName: string;
  eventType?: string;
}

function eventJson(e: AgentEvent): string {
  const fields: string[] = [
    `"msg_title":${JSON.stringify(e.title)}`,
    `"msg_text":${JSON.stringify(e.text)}`,
    `"timestamp":${e.ts}`,
  ];
  if (e.priority) fields.push(`"priority":${JSON.stringify(e.priority)}`);
  fields.push(`"host":${JSON.stringify(e.host)}`);
  if (e.tags.length > 0) fields.push(`"tags":${JSON.stringify(e.tags)}`);
  if (e.alertType) fields.push(`"alert_type":${JSON.stringify(e.alertType)}`);
  if (e.aggregationKey) fields.push(`"aggregation_key":${JSON.stringify(e.aggregationKey)}`);
  if (e.sourceTypeName) fields.push(`"source_type_name":${JSON.stringify(e.sourceTypeName)}`);
  if (e.eventType) fields.push(`"event_type":${JSON.stringify(e.eventType)}`);
  return `{${fields.join(',')}}`;
}

export function agentEventsPayload(events: AgentEvent[], internalHostname: string): string {
  const sorted = [...events].sort((a, b) =>
    a.sourceTypeName < b.sourceTypeName ? -1 : a.sourceTypeName > b.sourceTypeName ? 1 : 0,
  );
  const groups: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const source = sorted[i]!.sourceTypeName;
    const items: string[] = [];
    for (; i < sorted.length && sorted[i]!.sourceTypeName === source; i++) items.push(eventJson(sorted[i]!));
    groups.push(`${JSON.stringify(source || 'api')}:[${items.join(',')}]`);
  }
  return `{"apiKey":"","events":{${groups.join(',')}},"internalHostname":${JSON.stringify(internalHostname)}}`;
}
