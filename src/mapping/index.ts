// Datadog → Prometheus mapping: the entry point the HTTP intake and DogStatsD use. Rules: docs/mapping.md.
export { Mapper, DEFAULT_DISTRIBUTIONS, DEFAULT_QUANTILES, DEFAULT_SERIES_CACHE_SIZE } from './mapper.js';
export type { DistributionsMode } from './label-rules.js';
export { JOB, SERVICE_CHECK_METRIC } from './label-rules.js';
export type { MappingOptions, MapResult, DroppedSamples } from './mapper.js';
export { DEFAULT_SERIES_LIMITS, NO_SERIES_LIMITS, describeRefusal } from './limits.js';
export type { SeriesLimits, SeriesRefusal } from './limits.js';
export { HostTagCache, HOST_TAGS_FILE } from './host-tags.js';
export type { HostInfo, HostTagCacheOptions, HostTagsListener, WarnLogger } from './host-tags.js';
export { HostInfoSync } from './host-info-sync.js';
export type { HostLookup, HostInfoSyncOptions } from './host-info-sync.js';
export { HOST_INFO_LOOKBACK_MS, HOST_INFO_METRIC, readHostInfo } from './host-info-series.js';
export type { RangeSelect, SampledSeries } from './host-info-series.js';
export { sanitizeMetricName, sanitizeLabelName, tagKey, tagValue, BARE_TAG_VALUE } from './names.js';
