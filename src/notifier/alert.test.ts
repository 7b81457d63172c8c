import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertNotification } from '../model/alert.js';
import { encodeAlert } from './alert.js';

const alert: AlertNotification = {
  labels: { alertname: 'DiskFull', device: '/dev/sda1' },
  annotations: { summary: 'disk "/" 95% full\nsoon: 100%' },
  startsAt: Date.UTC(2025, 0, 2, 3, 4, 5, 678),
  endsAt: Date.UTC(2025, 0, 2, 3, 8, 5, 0),
  generatorURL: 'http://promdog:9099/console/explore?expr=x',
};

test('an alert as an API v2 PostableAlert: times in RFC 3339 with milliseconds, UTC', () => {
  assert.deepEqual(JSON.parse(encodeAlert(alert, {})), {
    labels: { alertname: 'DiskFull', device: '/dev/sda1' },
    annotations: { summary: 'disk "/" 95% full\nsoon: 100%' },
    startsAt: '2025-01-02T03:04:05.678Z',
    endsAt: '2025-01-02T03:08:05.000Z',
    generatorURL: 'http://promdog:9099/console/explore?expr=x',
  });
});

test('external labels fill in absent or empty labels and never override', () => {
  const labels = { ...alert.labels, env: '', device: 'own' };
  const encoded = JSON.parse(encodeAlert({ ...alert, labels }, { env: 'prod', device: 'ext', tenant: 'acme' }));
  assert.deepEqual(encoded.labels, { alertname: 'DiskFull', device: 'own', env: 'prod', tenant: 'acme' });
});

test('an empty label value is no label', () => {
  const encoded = JSON.parse(encodeAlert({ ...alert, labels: { alertname: 'X', gone: '' } }, {}));
  assert.deepEqual(encoded.labels, { alertname: 'X' });
});

test('no endsAt, no generatorURL and times RFC 3339 cannot hold are left out', () => {
  const { endsAt: _, ...firing } = alert;
  assert.equal(JSON.parse(encodeAlert(firing, {})).endsAt, undefined);
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1, Date.UTC(10000, 0, 1)]) {
    const encoded = JSON.parse(encodeAlert({ ...alert, startsAt: bad, endsAt: bad, generatorURL: '' }, {}));
    assert.deepEqual(Object.keys(encoded).sort(), ['annotations', 'labels']);
  }
  assert.equal(JSON.parse(encodeAlert({ ...alert, startsAt: 0 }, {})).startsAt, '1970-01-01T00:00:00.000Z');
});
