import { describe, test } from 'node:test';
import { HostTagCache } from '../mapping/host-tags.js';
import { Mapper } from '../mapping/mapper.js';
import { NO_SERIES_LIMITS } from '../mapping/limits.js';
import { DogStatsDAggregator } from './aggregator.js';
import { assertLinearWork } from '../../test/support/growth.js';

// DogStatsD's parse, aggregation and mapping do work proportional to the datagram, as the HTTP decoders do (see
// intake/linear-work.test.ts). Datagrams here grow past UDP's 64 KiB: unix datagram sockets carry bigger ones.

const T0 = 1_700_000_000;

function ingestAndMap(packet: Buffer): void {
  let nowMs = T0 * 1000;
  const agg = new DogStatsDAggregator({ hostname: 'h', clock: () => nowMs });
  agg.ingest(packet, 'unix');
  nowMs += 20_000;
  const payload = agg.flush();
  if (payload !== null)
    new Mapper({ keepUtf8Names: false, limits: NO_SERIES_LIMITS }, new HostTagCache(null)).map('t', payload, nowMs);
}

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));

const SHAPES: { name: string; n: number; packet: (n: number) => string }[] = [
  {
    name: 'one gauge, n tags sharing one key',
    n: 4000,
    packet: (n) => `g:1|g|#${range(n, (i) => `k:v${i}`).join(',')}`,
  },
  { name: 'one gauge, n distinct tag keys', n: 4000, packet: (n) => `g:1|g|#${range(n, (i) => `k${i}:v`).join(',')}` },
  {
    name: 'one histogram of n values',
    n: 4000,
    packet: (n) => `h:${range(n, (i) => String((i * 7919) % 1000)).join(':')}|h`,
  },
  { name: 'one set of n members', n: 4000, packet: (n) => `s:${range(n, (i) => `u${i}`).join(':')}|s` },
  { name: 'n counters', n: 1000, packet: (n) => range(n, (i) => `c${i}:1|c|#env:a`).join('\n') },
  {
    name: 'one distribution, n tags sharing one key',
    n: 4000,
    packet: (n) => `d:1|d|#${range(n, (i) => `k:v${i}`).join(',')}`,
  },
  {
    name: 'one service check, n tags sharing one key',
    n: 4000,
    packet: (n) => `_sc|chk|0|#${range(n, (i) => `k:v${i}`).join(',')}`,
  },
  { name: 'one event, n tags', n: 4000, packet: (n) => `_e{1,1}:t|x|#${range(n, (i) => `k:v${i}`).join(',')}` },
];

describe('DogStatsD parse, aggregate and map: work per byte stays flat as a datagram grows 16×', () => {
  for (const shape of SHAPES) {
    test(shape.name, () => {
      assertLinearWork(
        shape.n,
        (n) => {
          const input = Buffer.from(shape.packet(n));
          return { input, bytes: input.length };
        },
        ingestAndMap,
      );
    });
  }
});
