import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BARE_TAG_VALUE, sanitizeLabelName, sanitizeMetricName, tagKey, tagValue } from './names.js';

describe('sanitizeMetricName', () => {
  test('dots and other characters outside [a-zA-Z0-9_:] become _', () => {
    assert.equal(sanitizeMetricName('system.net.bytes_rcvd'), 'system_net_bytes_rcvd');
    assert.equal(sanitizeMetricName('a-b/c d'), 'a_b_c_d');
    assert.equal(sanitizeMetricName('ns:sub.metric'), 'ns:sub_metric');
  });
  test('one _ per Unicode code point', () => {
    assert.equal(sanitizeMetricName('température'), 'temp_rature');
    assert.equal(sanitizeMetricName('a😀b'), 'a_b');
  });
  test('a leading digit gets a _ prefix', () => {
    assert.equal(sanitizeMetricName('2xx.rate'), '_2xx_rate');
    assert.equal(sanitizeMetricName('9'), '_9');
  });
  test('a valid name is returned unchanged; empty stays empty', () => {
    assert.equal(sanitizeMetricName('already_fine:total'), 'already_fine:total');
    assert.equal(sanitizeMetricName(''), '');
  });
});

describe('sanitizeLabelName', () => {
  test('colons are not allowed in label names', () => {
    assert.equal(sanitizeLabelName('kube.namespace'), 'kube_namespace');
    assert.equal(sanitizeLabelName('a:b'), 'a_b');
    assert.equal(sanitizeLabelName('availability-zone'), 'availability_zone');
  });
  test('leading digit prefixed, empty becomes _', () => {
    assert.equal(sanitizeLabelName('1st'), '_1st');
    assert.equal(sanitizeLabelName(''), '_');
  });
});

describe('tagKey and tagValue', () => {
  const splitTag = (tag: string) => [tagKey(tag), tagValue(tag)];
  test('splits on the first colon only; the value is not altered', () => {
    assert.deepEqual(splitTag('env:prod'), ['env', 'prod']);
    assert.deepEqual(splitTag('env:staging:east'), ['env', 'staging:east']);
    assert.deepEqual(splitTag('url:/a b?c=d'), ['url', '/a b?c=d']);
  });
  test('a tag without a value, or ending in a colon, gets the bare-tag value', () => {
    assert.equal(BARE_TAG_VALUE, 'true');
    assert.deepEqual(splitTag('production'), ['production', 'true']);
    assert.deepEqual(splitTag('canary:'), ['canary', 'true']);
  });
  test('a leading colon gives an empty key', () => {
    assert.deepEqual(splitTag(':foo'), ['', 'foo']);
  });
});
