import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventsApi } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/EventsApi.js';
import { decodeEvent, decodeEventV2 } from './events.js';
import { assertDecodeError, ddEvent } from '../../../test/support/decoder-testing.js';
import { captureClientRequests } from '../../../test/support/official-client-capture.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('/api/v1/events JSON', () => {
  test('what the official client’s createEvent sends', async () => {
    const [req] = await captureClientRequests((conf) =>
      new EventsApi(conf).createEvent({
        body: {
          title: 'Deploy',
          text: 'v1.2 rolled out',
          dateHappened: 1_700_000_000,
          priority: 'low',
          host: 'app-1',
          tags: ['env:dev'],
          alertType: 'success',
          aggregationKey: 'deploy-1',
          sourceTypeName: 'my_apps',
          relatedEventId: 5,
          deviceName: 'eth0',
        },
      }),
    );
    assert.deepEqual(decodeEvent(req!.body).events, [
      {
        title: 'Deploy',
        text: 'v1.2 rolled out',
        host: 'app-1',
        tags: ['env:dev'],
        timestamp: 1_700_000_000,
        alertType: 'success',
        priority: 'low',
        sourceTypeName: 'my_apps',
        aggregationKey: 'deploy-1',
      },
    ]);
  });

  test('only title and text are required', () => {
    assert.deepEqual(decodeEvent(json({ title: 't', text: '' })).events, [ddEvent({ title: 't' })]);
    assertDecodeError(() => decodeEvent(json({ text: 'x' })), 'title: missing');
    assertDecodeError(() => decodeEvent(json({ title: 'x' })), 'text: missing');
    assertDecodeError(
      () => decodeEvent(json({ title: 'x', text: 'y', date_happened: 'now' })),
      'date_happened: expected a number, got string',
    );
    assertDecodeError(
      () => decodeEvent(json({ title: 'x', text: 'y', tags: 'a' })),
      'tags: expected an array of strings, got string',
    );
    assertDecodeError(() => decodeEvent(json([{ title: 'x', text: 'y' }])), 'event: expected an object, got array');
  });
});

describe('/api/v2/events JSON', () => {
  test('what the official client’s v2 createEvent sends: an alert and a change', async () => {
    const { EventsApi: EventsApiV2 } = await import(
      '@datadog/datadog-api-client/dist/packages/datadog-api-client-v2/apis/EventsApi.js'
    );
    const [alert, change] = await captureClientRequests(async (conf) => {
      const api = new EventsApiV2(conf);
      await api.createEvent({
        body: {
          data: {
            type: 'event',
            attributes: {
              title: 'Checkout is failing',
              category: 'alert',
              message: 'error rate 12%',
              host: 'web-1',
              tags: ['service:checkout'],
              timestamp: '2026-01-15T12:00:00.250Z',
              aggregationKey: 'checkout-errors',
              integrationId: 'custom-events',
              attributes: { status: 'error', priority: '2', custom: { rate: 0.12 } },
            },
          },
        },
      });
      await api.createEvent({
        body: {
          data: {
            type: 'event',
            attributes: {
              title: 'Flag flipped',
              category: 'change',
              attributes: { changedResource: { name: 'fallback', type: 'feature_flag' } },
            },
          },
        },
      });
    });
    assert.deepEqual(decodeEventV2(alert!.body).events, [
      {
        title: 'Checkout is failing',
        text: 'error rate 12%',
        host: 'web-1',
        tags: ['service:checkout'],
        timestamp: Date.UTC(2026, 0, 15, 12, 0, 0, 250) / 1000,
        alertType: 'error',
        priority: '2',
        sourceTypeName: 'custom-events',
        aggregationKey: 'checkout-errors',
        v2: { category: 'alert', attributes: { status: 'error', priority: '2', custom: { rate: 0.12 } } },
      },
    ]);
    assert.deepEqual(decodeEventV2(change!.body).events[0]!.v2, {
      category: 'change',
      attributes: { changed_resource: { name: 'fallback', type: 'feature_flag' } },
    });
  });

  test('malformed: what and where', () => {
    const body = (attributes: Record<string, unknown>, type = 'event') => json({ data: { type, attributes } });
    assertDecodeError(() => decodeEventV2(json({})), 'data: expected an object, got undefined');
    assertDecodeError(
      () => decodeEventV2(body({ title: 't', category: 'alert' }, 'log')),
      'data.type: expected "event", got string "log"',
    );
    assertDecodeError(() => decodeEventV2(body({ category: 'alert' })), 'data.attributes.title: missing');
    assertDecodeError(() => decodeEventV2(body({ title: '', category: 'alert' })), 'data.attributes.title: empty');
    assertDecodeError(
      () => decodeEventV2(body({ title: 't', category: 'note' })),
      'data.attributes.category: expected "change" or "alert", got string "note"',
    );
    assertDecodeError(
      () => decodeEventV2(body({ title: 't', category: 'alert', attributes: { status: 'bad' } })),
      'data.attributes.attributes.status: expected warn, error or ok, got string "bad"',
    );
    assertDecodeError(
      () => decodeEventV2(body({ title: 't', category: 'alert', attributes: { priority: '9' } })),
      'data.attributes.attributes.priority: expected "1" to "5", got string "9"',
    );
    assertDecodeError(
      () => decodeEventV2(body({ title: 't', category: 'change', timestamp: 'yesterday' })),
      'data.attributes.timestamp: expected an ISO 8601 time, got string "yesterday"',
    );
    assertDecodeError(
      () => decodeEventV2(body({ title: 't', category: 'change', attributes: { blob: 'x'.repeat(20_000) } })),
      'data.attributes.attributes: over 16384 bytes of JSON',
    );
  });
});
