// The query benches' two promdogs: one with the embedded store, one in gateway mode remote-writing into a real
// Prometheus, each with its own data dir and API key. Loaded with the same payloads through the intake, both
// stores hold what the same mapping made of them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PrometheusOptions, PrometheusProcess } from '../test/support/prometheus.js';
import { type PromdogProcess, spawnPromdog } from '../test/support/process.js';

/** A promdog process and its default tenant's API key. */
export interface PromdogTarget {
  pd: PromdogProcess;
  key: string;
}

/**
 * Starts a Prometheus (`prometheus` options), an embedded-store promdog (`storeEnv` in its environment) and a
 * gateway-mode promdog writing into the Prometheus, both with `configYaml` as their config when given; runs `run`
 * and stops all three, removing their data, whatever it does.
 */
export async function withStoreAndGateway<T>(
  opts: { dirPrefix: string; prometheus?: PrometheusOptions; configYaml?: string; storeEnv?: NodeJS.ProcessEnv },
  run: (store: PromdogTarget, gateway: PromdogTarget, prom: PrometheusProcess) => Promise<T>,
): Promise<T> {
  const prom = await PrometheusProcess.start(opts.prometheus);
  const dirs = [
    mkdtempSync(join(tmpdir(), `${opts.dirPrefix}-`)),
    mkdtempSync(join(tmpdir(), `${opts.dirPrefix}-gw-`)),
  ];
  const started: PromdogProcess[] = [];
  try {
    const config: string[] = [];
    if (opts.configYaml !== undefined) {
      const path = join(dirs[0]!, 'promdog.yaml');
      writeFileSync(path, opts.configYaml);
      config.push('--config', path);
    }
    const store = await spawnPromdog(['--data-dir', dirs[0]!, ...config], opts.storeEnv ?? {});
    started.push(store);
    // No self-scrape: its samples at now would move Prometheus' head past the benches' older data, which it then
    // refuses as out of bounds.
    const gateway = await spawnPromdog([
      ...['--data-dir', dirs[1]!, ...config, '--remote-write-url', prom.remoteWriteUrl],
      ...['--self-scrape-interval', '0'],
    ]);
    started.push(gateway);
    const keyOf = (dir: string) => readFileSync(join(dir, 'tenant-api-token-default'), 'utf8').trim();
    return await run({ pd: store, key: keyOf(dirs[0]!) }, { pd: gateway, key: keyOf(dirs[1]!) }, prom);
  } finally {
    for (const pd of started) {
      pd.child.kill('SIGTERM');
      await pd.exited;
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await prom.cleanup();
  }
}
