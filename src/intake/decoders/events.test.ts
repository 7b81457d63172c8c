import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventsApi } from '@datadog/datadog-api-client/dist/packages/datadog-api-client-v1/apis/EventsApi.js';
import { decodeEvent } from './events.js';
import { assertDecodeError } from '../../../test/support/decoder-testing.js';
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
    assert.deepEqual(decodeEvent(json({ title: 't', text: '' })).events, [
      {
        title: 't',
        text: '',
        host: '',
        tags: [],
        timestamp: 0,
        alertType: '',
        priority: '',
        sourceTypeName: '',
        aggregationKey: '',
      },
    ]);
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
