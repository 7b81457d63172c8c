import { Counter, Gauge, type Registry } from 'prom-client';
import type { Mapper } from './mapper.js';
import type { HostTagCache } from './host-tags.js';

// The mapping's caches on /metrics, read from the mapper and the host-tag cache at scrape time.

export function registerMappingMetrics(registry: Registry, mapper: Mapper, hostTags: HostTagCache): void {
  new Gauge({
    name: 'promdog_host_tag_cache_hosts',
    help: 'Hosts whose host tags are in the host-tag cache.',
    registers: [registry],
    collect() {
      this.set(hostTags.size);
    },
  });
  new Gauge({
    name: 'promdog_mapping_cached_series',
    help: 'Series identities (series, distributions, service checks) whose mapped labels are cached, by tenant (mapping.series_cache_size).',
    labelNames: ['tenant'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [tenant, n] of mapper.cachedIdentities()) this.set({ tenant }, n);
    },
  });
  let counted = 0;
  new Counter({
    name: 'promdog_mapping_cache_evictions_total',
    help: 'Series identities evicted from the mapping cache: idle for mapping.series_cache_idle, or least recently used past mapping.series_cache_size.',
    registers: [registry],
    collect() {
      this.inc(mapper.evicted - counted);
      counted = mapper.evicted;
    },
  });
}
