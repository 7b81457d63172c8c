import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodedBody, loadFixture } from '../../../test/support/fixtures.js';
import { decodeInventories } from './inventories.js';
import { assertDecodeError } from '../../../test/support/decoder-testing.js';

describe('/api/v1/metadata inventories', () => {
  test('each captured Agent inventory payload (host i-0473fb6c2bd4591b4) counts as one inventory and nothing else', () => {
    const payloads = loadFixture('api_v1_metadata_response.json');
    assert.equal(payloads.length, 3);
    for (const p of payloads) {
      const body = decodedBody(p);
      assert.equal((JSON.parse(body.toString()) as { hostname: string }).hostname, 'i-0473fb6c2bd4591b4');
      const decoded = decodeInventories(body);
      assert.equal(decoded.inventories, 1);
      assert.deepEqual(decoded.hostMetadata, [], 'an inventory carries no host tags, so no host metadata');
      assert.deepEqual(decoded.series, []);
    }
  });

  test('anything but a JSON object, or an object whose hostname or timestamp has the wrong type, is refused', () => {
    assert.equal(decodeInventories(Buffer.from('{}')).inventories, 1);
    assertDecodeError(() => decodeInventories(Buffer.from('[]')), 'inventories payload: expected an object, got array');
    assertDecodeError(
      () => decodeInventories(Buffer.from('"x"')),
      'inventories payload: expected an object, got string',
    );
    assertDecodeError(
      () => decodeInventories(Buffer.from('{"hostname":5}')),
      'hostname: expected a string, got number',
    );
    assertDecodeError(
      () => decodeInventories(Buffer.from('{"timestamp":"1"}')),
      'timestamp: expected a number, got string',
    );
    assertDecodeError(() => decodeInventories(Buffer.from('{"hostname":')), /^inventories payload: invalid JSON: /);
  });
});
