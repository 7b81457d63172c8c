#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=16
// The line above is launch.ts's MALLOC_ENV and NODE_FLAGS: why each is there is said there.
import { ConfigError, DEFAULTS, SERVE_USAGE, loadServeConfig } from '../config/config.js';
import { startServer, createLogger } from '../server/app.js';
import { VERSION } from '../server/version.js';
import { MALLOC_ENV, missingMallocSettings, runsOnGlibc } from './launch.js';
import { runTenantCommand, TENANT_USAGE } from './tenant.js';

const USAGE = `promdog ${VERSION} — Datadog Agent intake and DogStatsD to Prometheus

Usage:
  promdog serve [flags]            run the server (promdog serve --help for flags)
  promdog tenant add NAME          create a tenant with a new API key in the data dir
  promdog tenant list              list tenants and their token files
  promdog tenant rotate NAME       replace a tenant's API key
  promdog --version
`;

async function serve(argv: string[]): Promise<void> {
  const cfg = loadServeConfig(argv);
  if (cfg.help) {
    process.stdout.write(SERVE_USAGE);
    return;
  }
  const logger = createLogger(cfg.logLevel);
  const missing = missingMallocSettings(process.env);
  if (missing.length > 0 && runsOnGlibc())
    logger.warn(
      { missing },
      `started without ${Object.keys(MALLOC_ENV).join(', ')}: memory that request buffers freed can stay resident ` +
        '(~0.5 KB per active series at 200k); start with `npm start` or the `promdog` command, or set them ' +
        '(docs/operations.md, "Memory")',
    );
  const server = await startServer(cfg, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    server.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Like Prometheus: SIGHUP re-reads the rule files; a file that does not load leaves the previous rules running.
  process.on('SIGHUP', () => {
    if (stopping) return;
    server.reloadRules().then(
      (problems) => {
        if (problems.length > 0) logger.error({ problems }, 'SIGHUP: rule files not reloaded');
      },
      (err) => logger.error({ err }, 'SIGHUP: reloading rule files failed'),
    );
  });
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'serve':
      return serve(rest);
    case 'tenant':
      return runTenantCommand(rest, process.env.PROMDOG_DATA_DIR ?? DEFAULTS.dataDir);
    case '--version':
    case 'version':
      process.stdout.write(`promdog ${VERSION}\n`);
      return;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n${TENANT_USAGE}`);
      return;
    default:
      process.stderr.write(`promdog: unknown command "${cmd}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`promdog: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`promdog: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
