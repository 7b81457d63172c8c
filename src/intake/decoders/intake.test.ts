import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIntake } from './intake.js';
import { assertDecodeError } from '../../../test/support/decoder-testing.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** The shape of an Agent 7 host metadata payload (comp/metadata/host), trimmed values. */
function hostMetadataPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiKey: '',
    agentVersion: '7.50.3',
    uuid: 'c2d5b6b0-0000-4000-8000-000000000000',
    internalHostname: 'web-1',
    os: 'linux',
    'agent-flavor': 'agent',
    python: '3.11.5',
    systemStats: {
      cpuCores: 2,
      machine: 'x86_64',
      platform: 'linux',
      pythonV: '3.11.5',
      processor: 'Intel',
      macV: ['', '', ''],
      nixV: ['ubuntu', '22.04', ''],
      fbsdV: ['', '', ''],
      winV: ['', '', ''],
    },
    meta: {
      'socket-hostname': 'web-1',
      timezones: ['UTC'],
      'socket-fqdn': 'web-1.local',
      'ec2-hostname': '',
      hostname: 'web-1',
      host_aliases: [],
      'instance-id': '',
    },
    'host-tags': { system: ['env:prod', 'role:web'], 'google cloud platform': ['zone:us-central1-a', 'project:p1'] },
    network: { 'network-id': '' },
    logs: { transport: '', auto_multi_line_detection_enabled: false },
    'install-method': { tool: null, tool_version: 'undefined', installer_version: null },
    'proxy-info': {
      'no-proxy-nonexact-match': false,
      'proxy-behavior-changed': false,
      'no-proxy-nonexact-match-explicitly-set': false,
    },
    otlp: { enabled: false },
    gohai: '{"cpu":{"cpu_cores":"2"},"platform":{"os":"GNU/Linux"}}',
    ...overrides,
  };
}

describe('/intake/ host metadata', () => {
  test('an Agent 7 payload gives its host, every source’s host tags, agent version and OS', () => {
    assert.deepEqual(decodeIntake(json(hostMetadataPayload())).hostMetadata, [
      {
        host: 'web-1',
        hostTags: ['env:prod', 'role:web', 'zone:us-central1-a', 'project:p1'],
        agentVersion: '7.50.3',
        os: 'linux',
      },
    ]);
  });

  test('null or absent host tags mean none; meta.hostname stands in for an empty internalHostname', () => {
    const noTags = decodeIntake(json(hostMetadataPayload({ 'host-tags': { system: null } }))).hostMetadata;
    assert.deepEqual(noTags[0]!.hostTags, []);
    const fromMeta = decodeIntake(
      json(hostMetadataPayload({ internalHostname: '', 'host-tags': undefined })),
    ).hostMetadata;
    assert.deepEqual(fromMeta, [{ host: 'web-1', hostTags: [], agentVersion: '7.50.3', os: 'linux' }]);
  });

  test('host metadata without a host name, or with mistyped host tags, is refused', () => {
    assertDecodeError(
      () => decodeIntake(json(hostMetadataPayload({ internalHostname: undefined, meta: { hostname: '' } }))),
      'internalHostname: missing (host metadata must name its host)',
    );
    assertDecodeError(
      () => decodeIntake(json(hostMetadataPayload({ 'host-tags': ['a'] }))),
      'host-tags: expected an object, got array',
    );
    assertDecodeError(
      () => decodeIntake(json(hostMetadataPayload({ 'host-tags': { system: 'a:b' } }))),
      'host-tags.system: expected an array of strings, got string',
    );
    assertDecodeError(
      () => decodeIntake(json(hostMetadataPayload({ 'host-tags': { system: ['a', 2] } }))),
      'host-tags.system[1]: expected a string, got number',
    );
    assertDecodeError(
      () => decodeIntake(json(hostMetadataPayload({ agentVersion: 7 }))),
      'agentVersion: expected a string, got number',
    );
    assertDecodeError(
      () => decodeIntake(json(hostMetadataPayload({ meta: 'x' }))),
      'meta: expected an object, got string',
    );
    // A path that quotes a client's key is cut short rather than echoing megabytes back.
    const longKey = 's'.repeat(100_000);
    assertDecodeError(
      () => decodeIntake(json(hostMetadataPayload({ 'host-tags': { [longKey]: 5 } }))),
      /^host-tags\.s{490}…$/,
    );
  });
});

describe('/intake/ events', () => {
  const envelope = {
    apiKey: '',
    events: {
      api: [{ msg_title: 'Deploy', msg_text: 'done', timestamp: 1_700_000_000, host: '', tags: ['env:dev'] }],
      my_source: [
        {
          msg_title: 'Disk',
          msg_text: 'full',
          timestamp: 1_700_000_001,
          priority: 'low',
          host: 'db-1',
          alert_type: 'error',
          aggregation_key: 'disk',
          source_type_name: 'my_source',
          event_type: 'x',
        },
      ],
    },
    internalHostname: 'agent-host',
  };

  test('events grouped by source type, an empty host filled with the Agent’s', () => {
    const out = decodeIntake(json(envelope));
    assert.deepEqual(out.hostMetadata, [], 'an events envelope is not host metadata');
    assert.deepEqual(out.events, [
      {
        title: 'Deploy',
        text: 'done',
        host: 'agent-host',
        tags: ['env:dev'],
        timestamp: 1_700_000_000,
        alertType: '',
        priority: '',
        sourceTypeName: '',
        aggregationKey: '',
      },
      {
        title: 'Disk',
        text: 'full',
        host: 'db-1',
        tags: [],
        timestamp: 1_700_000_001,
        alertType: 'error',
        priority: 'low',
        sourceTypeName: 'my_source',
        aggregationKey: 'disk',
      },
    ]);
  });

  test('a payload may carry host metadata and events; one with neither decodes to nothing', () => {
    const both = decodeIntake(json({ ...hostMetadataPayload(), events: envelope.events }));
    assert.equal(both.hostMetadata.length, 1);
    assert.equal(both.events.length, 2);
    for (const body of [
      {},
      { apiKey: 'x', internalHostname: 'h', resources: { processes: { snaps: [] } } },
      { events: {} },
      { events: null },
    ]) {
      const out = decodeIntake(json(body));
      assert.deepEqual([out.hostMetadata, out.events, out.series], [[], [], []], JSON.stringify(body));
    }
  });

  test('mistyped events are refused with the path', () => {
    assertDecodeError(
      () => decodeIntake(json({ events: [] })),
      'events: expected an object of source type → events, got array',
    );
    assertDecodeError(
      () => decodeIntake(json({ events: { api: {} } })),
      'events.api: expected an array of events, got object',
    );
    assertDecodeError(
      () => decodeIntake(json({ events: { api: [{ msg_text: 'x' }] } })),
      'events.api[0].msg_title: missing',
    );
    assertDecodeError(
      () => decodeIntake(json({ events: { api: [{ msg_title: 'x', timestamp: '1' }] } })),
      'events.api[0].timestamp: expected a number, got string',
    );
    assertDecodeError(
      () => decodeIntake(json({ events: { api: ['x'] } })),
      'events.api[0]: expected an object, got string',
    );
    assertDecodeError(() => decodeIntake(json([])), 'intake payload: expected an object, got array');
    assertDecodeError(() => decodeIntake(Buffer.from('{"events":')), /^intake payload: invalid JSON: /);
  });
});
