import type { WriteBatch } from '../model/prometheus.js';
import type { Sink, WriteOutcome } from './sink.js';

// Gateway mode with tenants in separate backends: each batch goes to its tenant's own sink (its own remote-write
// targets, `tenants.<name>.remote_write`), or to the default one (`remote_write`) for every other tenant.

export class SinkByTenant implements Sink {
  constructor(
    private readonly fallback: Sink,
    private readonly own: ReadonlyMap<string, Sink>,
  ) {}

  write(batch: WriteBatch, deadline: number): Promise<WriteOutcome> {
    return (this.own.get(batch.tenant) ?? this.fallback).write(batch, deadline);
  }

  async close(): Promise<void> {
    await Promise.all([this.fallback, ...this.own.values()].map((s) => s.close()));
  }
}
