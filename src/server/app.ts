import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { mkdirSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { samplesRateOf, type ServeConfig } from '../config/config.js';
import { registerMetricsRoute, registerProcessMetrics } from '../selfmon/metrics.js';
import { TenantRegistry } from '../tenants/tenants.js';
import { IngestPipeline } from '../intake/pipeline.js';
import { registerIntakeRoutes } from '../intake/routes.js';
import { registerEventsApi } from '../intake/events-api.js';
import { EventStore } from '../events/store.js';
import { DecodePool } from '../intake/decode-pool.js';
import { UnknownRoutes } from '../intake/unknown-routes.js';
import { HostTagCache } from '../mapping/host-tags.js';
import { DEFAULT_SERIES_LIMITS, Mapper } from '../mapping/index.js';
import { SinkRejectedError, SinkUnavailableError, type Sink } from '../sinks/sink.js';
import { RemoteWriteSink } from '../sinks/remote-write/sink.js';
import { SinkByTenant } from '../sinks/by-tenant.js';
import { DogStatsDServer } from '../dogstatsd/server.js';
import { Storage } from '../tsdb/storage.js';
import { EmbeddedStoreSink } from '../sinks/embedded/store-sink.js';
import { registerStoreMetrics } from '../tsdb/metrics.js';
import { registerMappingMetrics } from '../mapping/metrics.js';
import { AppendError, SelfScraper, listenInstance, type Append } from '../selfmon/self-scrape.js';
import { requestTenant, requestTenants } from '../tenants/request-tenant.js';
import { acceptRawBodies } from '../http/raw-bodies.js';
import { registerQueryApi } from '../api/routes.js';
import { queryConcurrencyLimiter } from '../api/limiter.js';
import { registerConsole } from '../console/server.js';
import { ApiError } from '../api/params.js';
import type { Querier } from '../model/storage.js';
import { VERSION } from './version.js';
import { httpMetrics, registerOpenConnections, registerStartupSeconds } from './metrics.js';
import { LISTEN_BACKLOG, RequestlessConnections, serverFactory } from './listener.js';
import { createRules } from './rules.js';
import { createHostInfoSync } from './host-info.js';
import { RulesApi } from '../api/rules-api.js';
import { RULER_BUILD_INFO, registerRulerConfigApi } from '../api/ruler-config-api.js';
import { BackendQueryApi } from '../api/backend-proxy.js';
import { queryApiMetrics } from '../api/metrics.js';
import { noQueryUrlMessage, QueryBackends } from './query-backends.js';

// The composition root of `promdog serve`: builds every part from the configuration, wires the one-way flow
// intake → mapping → sink, and owns start-up and the graceful shutdown. It also owns the one prom-client registry:
// each part declares its own families on it, /metrics renders it and the self-scrape writes it into tenant system.

export interface PromdogServer {
  app: FastifyInstance;
  /** Every family /metrics shows. */
  registry: Registry;
  /** The DogStatsD listener when --dogstatsd-listen or --dogstatsd-socket is given. */
  dogstatsd: DogStatsDServer | undefined;
  logger: Logger;
  /** The bound address, e.g. http://127.0.0.1:9099. */
  url: string;
  /** Re-reads every tenant's rule files (SIGHUP); resolves to the problems, empty when all loaded. */
  reloadRules(): Promise<string[]>;
  close(): Promise<void>;
}

/** A URL for logs: credentials in it (`user:pass@`) are replaced. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = 'redacted';
      u.password = '';
    }
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** The self-scrape's append through the server's sink: the sink's errors become the self-scrape's own. */
function appendTo(sink: Sink): Append {
  return async (batch, deadline) => {
    try {
      return (await sink.write(batch, deadline)).rejected;
    } catch (err) {
      if (err instanceof SinkUnavailableError) throw new AppendError('unavailable', err.message);
      if (err instanceof SinkRejectedError) throw new AppendError('rejected', err.message);
      throw err;
    }
  };
}

/** Gateway mode's sink: the default remote-write targets, and each tenant's own where it has some. */
function remoteWriteSink(cfg: ServeConfig, registry: Registry, logger: Logger): Sink {
  const fallback = new RemoteWriteSink(cfg.remoteWrite, registry, logger);
  logger.info({ targets: cfg.remoteWrite.map((t) => redactUrl(t.url)) }, 'gateway mode: samples are remote-written');
  const own = new Map<string, Sink>();
  for (const t of cfg.tenants) {
    if (!t.remoteWrite) continue;
    own.set(t.name, new RemoteWriteSink(t.remoteWrite, registry, logger));
    logger.info(
      { tenant: t.name, targets: t.remoteWrite.map((r) => redactUrl(r.url)) },
      `gateway mode: tenant "${t.name}" is remote-written to its own targets`,
    );
  }
  return own.size > 0 ? new SinkByTenant(fallback, own) : fallback;
}

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'promdog' }, timestamp: pino.stdTimeFunctions.isoTime });
}

export async function startServer(
  cfg: ServeConfig,
  logger: Logger = createLogger(cfg.logLevel),
): Promise<PromdogServer> {
  mkdirSync(cfg.dataDir, { recursive: true });
  let startupSeconds = 0;
  const registry = new Registry();
  registerProcessMetrics(registry);
  const http = httpMetrics(registry);

  // Tenants listed only for their ruler settings have their keys in the data dir.
  const keyedTenants = cfg.tenants.filter((t) => t.apiKeys.length > 0);
  for (const file of TenantRegistry.ensureInitialTenants(cfg.dataDir, keyedTenants)) {
    logger.info({ file }, `created tenant API token file ${file}`);
  }
  const tenants = new TenantRegistry(cfg.dataDir, keyedTenants);
  const tenantOf = requestTenants(tenants, cfg.noAuth);
  logger.info(
    { tenants: tenants.names, auth: !cfg.noAuth },
    cfg.noAuth ? 'authentication disabled (--no-auth): all data goes to tenant "default"' : 'tenants loaded',
  );

  let sink: Sink;
  let storage: Storage | undefined;
  let url = '';
  const gateway = cfg.remoteWrite.length > 0;
  const queryBackends = new QueryBackends(cfg);
  // One admission for the query API and the ruler: a tenant's rules and queries share its slots.
  const queryAdmission = queryConcurrencyLimiter(cfg.query);
  const rules = createRules(cfg, {
    admission: queryAdmission,
    registry,
    logger,
    sink: () => sink,
    querier: (tenant) => storage?.querier(tenant),
    queryBackends,
    listenUrl: () => url,
  });
  const ruleTenants = () => [...new Set([...tenants.names, ...cfg.tenants.map((t) => t.name)])];
  // Before the store opens: a rule file that does not load stops the start at once, naming the problems.
  await rules.load(ruleTenants());

  // Picks up `promdog tenant add|rotate` without a restart, and gives new tenants their rules.
  const tenantReload = setInterval(() => {
    tenants.reload();
    rules.addTenants(ruleTenants()).catch((err) => logger.error({ err }, 'loading a new tenant’s rules failed'));
  }, 10_000);
  tenantReload.unref();

  const hostTags = new HostTagCache(cfg.dataDir, { logger });
  // Sketches default to both forms where promdog stores them; a gateway's backend may refuse native histograms, and
  // with them the whole request (docs/mapping.md, "Why the default depends on the mode").
  const distributions = cfg.mapping.distributions ?? (gateway ? 'quantiles' : 'both');
  const mapper = new Mapper(
    { ...cfg.mapping, distributions, limits: { ...DEFAULT_SERIES_LIMITS, ...cfg.limits.series } },
    hostTags,
  );
  registerMappingMetrics(registry, mapper, hostTags);
  if (gateway) {
    sink = remoteWriteSink(cfg, registry, logger);
    if (cfg.queryUrl) logger.info({ url: redactUrl(cfg.queryUrl.url) }, 'gateway mode: queries go to the query URL');
    else
      logger.warn(
        'gateway mode without --query-url: the query API and the console read nothing for tenants without their own query_url',
      );
  } else {
    storage = new Storage({
      dataDir: cfg.dataDir,
      retentionMs: cfg.retentionMs,
      outOfOrderWindowMs: cfg.storage.outOfOrderWindowMs,
      maxActiveSeries: cfg.storage.maxActiveSeriesPerTenant,
      logger,
    });
    const opening = Date.now();
    // Every tenant's WAL is replayed before the listener opens, so the first query sees all acknowledged data.
    await storage.openAll();
    logger.info(
      { dataDir: cfg.dataDir, ms: Date.now() - opening, retentionMs: cfg.retentionMs },
      'embedded store open',
    );
    sink = new EmbeddedStoreSink(storage);
    registerStoreMetrics(registry, storage);
    // Embedded mode only, as it always was: what it measures is mostly opening the store and replaying WALs.
    registerStartupSeconds(registry, () => startupSeconds);
  }
  // Events are stored locally in both modes (their only store in gateway mode).
  const events = new EventStore({
    dataDir: cfg.dataDir,
    retentionMs: cfg.events.retentionMs,
    maxBytesPerTenant: cfg.events.maxBytesPerTenant,
    registry,
    logger,
  });
  await events.start();
  const hostInfo = createHostInfoSync(cfg, { hostTags, registry, logger, queryBackends });
  const pipeline = new IngestPipeline(
    mapper,
    sink,
    registry,
    events,
    {
      maxSeriesPerRequest: cfg.limits.maxSeriesPerRequest,
      samplesRate: (tenant) => samplesRateOf(cfg, tenant),
    },
    hostInfo?.sync,
  );
  const decodePool = cfg.limits.decodeWorkers > 0 ? new DecodePool(cfg.limits.decodeWorkers) : undefined;

  let closing = false;
  const connections = new RequestlessConnections();
  const app = Fastify({
    loggerInstance: logger,
    // One log line per request would dominate the logs at Agent rates; /metrics counts requests instead.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
    serverFactory: serverFactory(cfg, http, logger, connections),
  }) as unknown as FastifyInstance;
  registerOpenConnections(registry, app.server);

  // A keep-alive connection that was busy when shutdown began would otherwise hold app.close() open until the
  // client lets it go or Fastify's 72 s keep-alive timeout ends: answers sent while closing close their connection.
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    http.requests.inc({ tenant: requestTenant(req), route, method: req.method, code: String(reply.statusCode) });
    http.duration.observe({ route }, reply.elapsedTime / 1000);
  });
  const unknownRoutes = new UnknownRoutes(registry, logger);
  app.setNotFoundHandler((req, reply) => {
    unknownRoutes.observe(req.method, req.url);
    return reply.code(404).send({ errors: [`not found: ${req.method} ${req.url.split('?')[0]}`] });
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code === 500) req.log.error({ err, route: req.routeOptions.url }, 'request failed');
    return reply.code(code).send({ errors: [code === 500 ? 'internal error' : err.message] });
  });

  // Every route gets its body as the raw stream: the intake limits sizes while decompressing, the query API reads
  // form bodies itself (both set up here, once, for the whole server).
  acceptRawBodies(app);

  app.get('/-/healthy', async (_req, reply) => reply.type('text/plain').send('promdog is Healthy.\n'));
  app.get('/-/ready', async (_req, reply) =>
    closing
      ? reply.code(503).type('text/plain').send('promdog is shutting down.\n')
      : reply.type('text/plain').send('promdog is Ready.\n'),
  );
  const store = storage;
  // In gateway mode the store's reads are forwarded to the query backend; export alone has no backend equivalent.
  const gatewayQuerier = (): Querier => {
    throw new ApiError(
      'bad_data',
      'promdog runs in gateway mode (--remote-write-url): /api/v1/export reads the embedded store, and there is none; export from the backend itself',
      400,
      'gateway_mode',
    );
  };
  const queryApi = registerQueryApi(app, {
    querierFor: store ? (tenant) => store.querier(tenant) : gatewayQuerier,
    ...(store
      ? {}
      : {
          backend: new BackendQueryApi({
            backends: queryBackends,
            rejected: queryApiMetrics(registry).rejected,
            logger,
          }),
        }),
    ...(store
      ? {
          metadataFor: (tenant: string) => store.querier(tenant).metricMetadata(),
          exportSourceFor: (tenant: string) => store.querier(tenant),
        }
      : {}),
    resolveTenant: tenantOf.query,
    registry,
    limits: cfg.query,
    limiter: queryAdmission,
    engine: { lookbackDeltaMs: cfg.query.lookbackDeltaMs },
    buildInfo: { revision: `promdog-${VERSION}`, ...RULER_BUILD_INFO },
    // The Datadog intake owns POST /api/v1/series; form-encoded POSTs there are Grafana's series lookups.
    registerSeriesPost: false,
    rules: new RulesApi(rules.ruler),
  });
  registerRulerConfigApi(app, { resolveTenant: tenantOf.query, ruler: rules.ruler });
  app.post('/-/reload', async (_req, reply) => {
    const problems = await rules.reload();
    if (problems.length === 0) return reply.code(200).type('text/plain').send('');
    return reply
      .code(500)
      .type('application/json')
      .send(
        JSON.stringify({
          status: 'error',
          errorType: 'reload',
          error: `failed to reload rules: ${problems.join('\n')}`,
        }),
      );
  });

  registerConsole(app, {
    resolveTenant: tenantOf.query,
    querierFor: store ? (tenant) => store.querier(tenant) : undefined,
    queryUnavailable: (tenant) => (store || queryBackends.clientFor(tenant) ? undefined : noQueryUrlMessage(tenant)),
    hostTags,
    ...(hostInfo ? { hostInfoFor: hostInfo.hosts } : {}),
    events,
    version: VERSION,
  });

  registerMetricsRoute(app, registry);

  registerIntakeRoutes(app, {
    formSeriesHandler: (req, reply) => queryApi.seriesHandler(req, reply),
    resolveTenant: tenantOf.intake,
    limits: {
      maxCompressedBytes: cfg.limits.maxCompressedBodyBytes,
      maxDecompressedBytes: cfg.limits.maxDecompressedBodyBytes,
      requestTimeoutMs: cfg.limits.requestTimeoutMs,
    },
    pipeline,
    registry,
    ...(decodePool ? { decodePool } : {}),
  });
  registerEventsApi(app, { resolveTenant: tenantOf.intake, events });

  let dogstatsd: DogStatsDServer | undefined;
  if (cfg.dogstatsdListen || cfg.dogstatsdSocket) {
    dogstatsd = new DogStatsDServer({
      ...(cfg.dogstatsdListen ? { listen: cfg.dogstatsdListen } : {}),
      ...(cfg.dogstatsdSocket ? { socketPath: cfg.dogstatsdSocket } : {}),
      ...cfg.dogstatsd,
      registry,
      logger,
      // Aggregated DogStatsD data takes the same path as the HTTP intake.
      onFlush: async (payload, tenant) => {
        await pipeline.ingest(tenant, 'dogstatsd', payload, Date.now() + cfg.limits.requestTimeoutMs);
      },
    });
    await dogstatsd.start();
  }

  await app.listen({ host: cfg.listen.host, port: cfg.listen.port, backlog: LISTEN_BACKLOG });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.listen.port;
  const shownHost = cfg.listen.host === '0.0.0.0' || cfg.listen.host === '::' ? '127.0.0.1' : cfg.listen.host;
  url = `${cfg.tls ? 'https' : 'http'}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  startupSeconds = process.uptime();
  rules.start();
  hostInfo?.sync.start();
  let selfScrape: SelfScraper | undefined;
  if (cfg.selfmon.scrapeIntervalMs > 0) {
    const instance = listenInstance(cfg.listen.host, port);
    selfScrape = new SelfScraper({
      registry,
      append: appendTo(sink),
      samplesRejected: pipeline.metrics.samplesRejected,
      intervalMs: cfg.selfmon.scrapeIntervalMs,
      instance,
      logger,
    });
    selfScrape.start();
    logger.info(
      { intervalMs: cfg.selfmon.scrapeIntervalMs, tenant: selfScrape.tenant, instance },
      `self-scrape: own metrics into tenant "${selfScrape.tenant}" every ${cfg.selfmon.scrapeIntervalMs / 1000}s`,
    );
  } else logger.info('self-scrape disabled (--self-scrape-interval 0)');
  logger.info(
    { url, dataDir: cfg.dataDir, mode: storage ? 'embedded store' : 'gateway' },
    `promdog ${VERSION} listening on ${url}`,
  );

  return {
    app,
    registry,
    dogstatsd,
    logger,
    url,
    async reloadRules() {
      const problems = await rules.reload();
      if (problems.length === 0) logger.info('rule files reloaded');
      return problems;
    },
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(tenantReload);
      // The self-scrape writes through the sink: it stops first.
      await selfScrape?.stop();
      // Stop accepting, let in-flight requests finish (their writes included), then flush and close the rest.
      const appClosed = app.close();
      connections.close();
      await appClosed;
      // The ruler writes through the sink too: it stops before the sink closes.
      await rules.close();
      // The host info sync reads through the query backends: it stops before they close.
      await hostInfo?.close();
      await queryBackends.close();
      await decodePool?.close();
      await dogstatsd?.stop();
      await sink.close();
      await events.close();
      await storage?.close();
      await hostTags.close();
      logger.info('promdog stopped');
    },
  };
}
