import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceChecksApi } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/ServiceChecksApi.js';
import { decodedBody, loadFixture } from '../../../test/support/fixtures.js';
import { decodeCheckRun } from './check-run.js';
import { assertDecodeError } from '../../../test/support/decoder-testing.js';
import { captureClientRequests } from '../../../test/support/official-client-capture.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('/api/v1/check_run JSON', () => {
  test('the Agent capture decodes to its 12 checks, "tags": null included', () => {
    const p = loadFixture('api_v1_check_run_response.json').find((x) => x.encoding === 'deflate')!;
    const checks = decodeCheckRun(decodedBody(p)).serviceChecks;
    assert.equal(checks.length, 12);
    const names = new Set(checks.map((c) => c.check));
    assert.deepEqual([...names].sort(), [
      'datadog.agent.check_status',
      'datadog.agent.up',
      'ntp.in_sync',
      'snmp.can_check',
    ]);
    assert.deepEqual(checks[0], {
      check: 'snmp.can_check',
      host: 'device:COMP-N52P6N99MH:172.25.0.3',
      timestamp: 1_677_840_599,
      status: 0,
      message: '',
      tags: [
        'agent_host:COMP-N52P6N99MH',
        'device_namespace:COMP-N52P6N99MH',
        'snmp_device:172.25.0.3',
        'snmp_host:41ba948911b9',
        'snmp_profile:generic-router',
      ],
    });
    const ntp = checks.find((c) => c.check === 'ntp.in_sync')!;
    assert.deepEqual(ntp.tags, []);
    const up = checks.find((c) => c.check === 'datadog.agent.up')!;
    assert.equal(up.host, 'COMP-N52P6N99MH');
  });

  test('what the official client’s submitServiceCheck sends', async () => {
    const [req] = await captureClientRequests((conf) =>
      new ServiceChecksApi(conf).submitServiceCheck({
        body: [
          {
            check: 'app.ok',
            hostName: 'app-1',
            status: 2,
            message: 'down',
            tags: ['env:dev'],
            timestamp: 1_700_000_000,
          },
          { check: 'app.other', hostName: 'app-2', status: 3, tags: [] },
        ],
      }),
    );
    assert.deepEqual(decodeCheckRun(req!.body).serviceChecks, [
      { check: 'app.ok', host: 'app-1', timestamp: 1_700_000_000, status: 2, message: 'down', tags: ['env:dev'] },
      { check: 'app.other', host: 'app-2', timestamp: 0, status: 3, message: '', tags: [] },
    ]);
  });

  test('a single bare object (datadogpy) with a float timestamp is one check', () => {
    const body = json({
      check: 'py.check',
      host_name: 'h',
      status: 1,
      timestamp: 1_700_000_000.75,
      message: 'warn',
      tags: ['a:b'],
    });
    assert.deepEqual(decodeCheckRun(body).serviceChecks, [
      { check: 'py.check', host: 'h', timestamp: 1_700_000_000.75, status: 1, message: 'warn', tags: ['a:b'] },
    ]);
  });

  test('a status outside 0-3 and other wrong types are refused with the path', () => {
    const cases: [unknown, string][] = [
      [
        [
          { check: 'c', status: 0 },
          { check: 'c', status: 7 },
        ],
        '[1].status: expected an integer 0-3 (OK, WARNING, CRITICAL, UNKNOWN), got number 7',
      ],
      [
        [{ check: 'c', status: '0' }],
        '[0].status: expected an integer 0-3 (OK, WARNING, CRITICAL, UNKNOWN), got string "0"',
      ],
      [
        [{ check: 'c', status: 1.5 }],
        '[0].status: expected an integer 0-3 (OK, WARNING, CRITICAL, UNKNOWN), got number 1.5',
      ],
      [[{ check: 'c' }], '[0].status: expected an integer 0-3 (OK, WARNING, CRITICAL, UNKNOWN), got nothing'],
      [{ check: 'c', status: -1 }, 'status: expected an integer 0-3 (OK, WARNING, CRITICAL, UNKNOWN), got number -1'],
      [[{ status: 0 }], '[0].check: missing'],
      [{}, 'check: missing'],
      [[{ check: 'c', status: 0, timestamp: '1' }], '[0].timestamp: expected a number, got string'],
      [[{ check: 'c', status: 0, tags: [1] }], '[0].tags[0]: expected a string, got number'],
      [[{ check: 'c', status: 0, host_name: 1 }], '[0].host_name: expected a string, got number'],
      [['c'], '[0]: expected an object, got string'],
      [5, 'check_run payload: expected an array of service checks, got number'],
    ];
    for (const [body, message] of cases) assertDecodeError(() => decodeCheckRun(json(body)), message);
    assertDecodeError(() => decodeCheckRun(Buffer.from('[{"check":')), /^check_run payload: invalid JSON: /);
  });
});
