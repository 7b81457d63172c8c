// The embedded store for API tests: a Storage in a temporary directory, filled through Storage.append (the path
// the sink writes through) and read through Storage's querier, so the tests cover the store's index and matchers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Label, PromSeries } from '../../src/model/prometheus.js';
import type { Querier } from '../../src/model/storage.js';
import { writeStaleNaN } from '../../src/promql/staleness.js';
import { Storage } from '../../src/tsdb/storage.js';

/** One sample; `stale` makes it Prometheus' staleness marker. */
export interface TestSample {
  t: number;
  v: number;
  stale?: boolean;
}

export class TestStore {
  private constructor(
    private readonly dir: string,
    readonly storage: Storage,
  ) {}

  static async open(): Promise<TestStore> {
    const dir = await mkdtemp(join(tmpdir(), 'promdog-test-store-'));
    // Test data sits at fixed past times: keep it all (no retention), whatever its age.
    return new TestStore(dir, new Storage({ dataDir: dir, retentionMs: Infinity }));
  }

  /** Appends series; throws if the store refuses any sample. */
  async append(tenant: string, series: readonly PromSeries[]): Promise<void> {
    const { rejected } = await this.storage.append(tenant, series);
    if (Object.keys(rejected).length > 0) throw new Error(`the store refused samples: ${JSON.stringify(rejected)}`);
  }

  /** Appends one series' samples (in time order). */
  appendSamples(tenant: string, labels: Label[], samples: readonly TestSample[]): Promise<void> {
    // A JS array quiets the stale marker's signalling NaN; a Float64Array keeps its bits (the store only indexes it).
    const values = Float64Array.from(samples, (s) => s.v);
    samples.forEach((s, i) => {
      if (s.stale) writeStaleNaN(values, i);
    });
    const sorted = [...labels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return this.append(tenant, [
      { labels: sorted, timestamps: samples.map((s) => s.t), values: values as unknown as number[] },
    ]);
  }

  querier(tenant: string): Querier {
    return this.storage.querier(tenant);
  }

  async close(): Promise<void> {
    await this.storage.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
