// Metric metadata (type, help, unit) per metric family, latest wins. Kept in memory and written to metadata.json in
// the background when it changed: metadata is descriptive, the agent re-sends it, so it is not in the WAL's
// durability promise.
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetricMetadata } from '../model/prometheus.js';
import type { TsdbLogger } from './fsutil.js';

const METADATA_FILE = 'metadata.json';

export class MetadataStore {
  private readonly byName = new Map<string, MetricMetadata>();
  private pendingWrite: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly logger: TsdbLogger,
  ) {}

  /** Reads the tenant's metadata file; a missing or unreadable one means no metadata yet. */
  static async open(dir: string, logger: TsdbLogger): Promise<MetadataStore> {
    const store = new MetadataStore(dir, logger);
    try {
      for (const m of JSON.parse(await readFile(join(dir, METADATA_FILE), 'utf8')) as MetricMetadata[]) {
        store.byName.set(m.metricFamilyName, m);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        logger.warn({ dir, err }, 'ignoring unreadable metadata file');
      }
    }
    return store;
  }

  set(list: readonly MetricMetadata[]): void {
    let changed = false;
    for (const m of list) {
      const have = this.byName.get(m.metricFamilyName);
      if (have && have.type === m.type && have.help === m.help && have.unit === m.unit) continue;
      this.byName.set(m.metricFamilyName, { ...m });
      changed = true;
    }
    if (!changed || this.closed) return;
    this.pendingWrite = this.pendingWrite.then(async () => {
      const tmp = join(this.dir, `${METADATA_FILE}.tmp`);
      try {
        const fh = await open(tmp, 'w');
        try {
          await fh.write(JSON.stringify(this.sorted()));
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, join(this.dir, METADATA_FILE));
      } catch (err) {
        this.logger.warn({ dir: this.dir, err }, 'could not write metadata file');
      }
    });
  }

  /** Sorted by metric family name. */
  sorted(): MetricMetadata[] {
    return [...this.byName.values()].sort((a, b) => (a.metricFamilyName < b.metricFamilyName ? -1 : 1));
  }

  /** Stops writing the file; resolves when the last write finished. Changes after this stay in memory. */
  close(): Promise<void> {
    this.closed = true;
    return this.pendingWrite;
  }
}
