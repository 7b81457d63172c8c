// The ruler across tenants: each tenant's rule manager over its three sources (its rule files, the groups written
// through the ruler configuration API, the default pack). Rule files load at start, on reload (SIGHUP, /-/reload)
// and when a tenant appears; a load that fails keeps the tenant's previous rules, and the error is logged, counted
// and kept for the rules API. API writes are checked before they get here. Operations on a tenant run one at a time.
import type { Logger } from 'pino';
import { RuleManager, type RuleManagerOptions, type RuleSource } from './manager.js';
import { ruleMetrics, type RuleMetrics } from './metrics.js';
import { NamespaceStore } from './namespace-store.js';
import type { RuleGroupDefinition } from './rule-file.js';
import { loadRuleFiles } from './rule-files.js';

/** Rule files that do not load; the message lists every problem, one per line, each naming its file. */
export class RuleLoadError extends Error {
  override name = 'RuleLoadError';
  constructor(readonly problems: string[]) {
    super(`error loading rules:\n${problems.join('\n')}`);
  }
}

/** Not found, for the configuration API's 404s. */
export class RuleNotFoundError extends Error {
  override name = 'RuleNotFoundError';
}

export interface TenantRuleSettings {
  /** Rule file patterns (globs). */
  ruleFiles: string[];
  externalLabels: Record<string, string>;
}

export interface RulerOptions {
  /** What every tenant's manager shares. */
  manager: Omit<RuleManagerOptions, 'tenant' | 'externalLabels'>;
  /** Where ruler API namespaces are kept (`<data dir>/rules`). */
  storeDir: string;
  settingsFor(tenant: string): TenantRuleSettings;
  /** The default rule pack's groups for a tenant (none when it is off for the tenant). */
  defaultRules(tenant: string): RuleSource[];
}

interface TenantRules {
  manager: RuleManager;
  settings: TenantRuleSettings;
  files: RuleSource[];
  namespaces: Map<string, RuleGroupDefinition[]>;
  /** Why the last load failed; undefined after a successful one. */
  lastError: string | undefined;
  /** Operations on this tenant, one at a time. */
  queue: Promise<unknown>;
}

export class Ruler {
  private readonly tenants = new Map<string, TenantRules>();
  private readonly store: NamespaceStore;
  private readonly metrics: RuleMetrics;
  private readonly logger: Logger;
  private started = false;
  private stopped = false;

  constructor(private readonly opts: RulerOptions) {
    this.store = new NamespaceStore(opts.storeDir);
    this.metrics = ruleMetrics(opts.manager.registry);
    this.logger = opts.manager.logger.child({ component: 'ruler' });
  }

  /**
   * Loads the tenants' rules; throws RuleLoadError naming every file that does not load (start-up refuses those).
   * Stored API namespaces that no longer load are logged and left out instead.
   */
  async load(tenants: readonly string[]): Promise<void> {
    const problems: string[] = [];
    const loaded: [string, TenantRules][] = [];
    for (const tenant of tenants) {
      const settings = this.opts.settingsFor(tenant);
      const files = loadRuleFiles(settings.ruleFiles);
      problems.push(...files.errors);
      loaded.push([tenant, this.tenantRules(tenant, settings, files.sources)]);
    }
    if (problems.length > 0) throw new RuleLoadError(problems);
    for (const [tenant, t] of loaded) {
      this.tenants.set(tenant, t);
      await this.apply(tenant, t);
      this.recordLoad(tenant, t, undefined);
    }
  }

  private tenantRules(tenant: string, settings: TenantRuleSettings, files: RuleSource[]): TenantRules {
    const stored = this.store.load(tenant);
    for (const e of stored.errors) this.logger.error({ tenant, err: e }, 'stored ruler API rule group does not load');
    return {
      manager: new RuleManager({ ...this.opts.manager, tenant, externalLabels: settings.externalLabels }),
      settings,
      files,
      namespaces: stored.namespaces,
      lastError: undefined,
      queue: Promise.resolve(),
    };
  }

  /** A tenant that appeared after start (a new key in the data dir): its files and stored groups, then evaluation. */
  async addTenant(tenant: string): Promise<void> {
    if (this.tenants.has(tenant) || this.stopped) return;
    const settings = this.opts.settingsFor(tenant);
    const files = loadRuleFiles(settings.ruleFiles);
    const t = this.tenantRules(tenant, settings, files.errors.length > 0 ? [] : files.sources);
    this.tenants.set(tenant, t);
    await this.apply(tenant, t);
    this.recordLoad(tenant, t, files.errors.length > 0 ? files.errors.join('\n') : undefined);
    if (this.started) t.manager.start();
  }

  get tenantNames(): string[] {
    return [...this.tenants.keys()].sort();
  }

  manager(tenant: string): RuleManager | undefined {
    return this.tenants.get(tenant)?.manager;
  }

  /** Why the tenant's last rule load failed (its previous rules still run), or undefined. */
  lastError(tenant: string): string | undefined {
    return this.tenants.get(tenant)?.lastError;
  }

  start(): void {
    this.started = true;
    for (const t of this.tenants.values()) t.manager.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.tenants.values()].map((t) => t.queue.then(() => t.manager.stop())));
  }

  /** Re-reads every tenant's rule files. Resolves to the problems (empty: every tenant loaded). */
  async reload(): Promise<string[]> {
    const problems: string[] = [];
    await Promise.all(
      [...this.tenants].map(([tenant, t]) =>
        this.serial(t, async () => {
          const files = loadRuleFiles(t.settings.ruleFiles);
          if (files.errors.length > 0) {
            problems.push(...files.errors);
            this.recordLoad(tenant, t, files.errors.join('\n'));
            return;
          }
          t.files = files.sources;
          await this.apply(tenant, t);
          this.recordLoad(tenant, t, undefined);
        }),
      ),
    );
    return problems;
  }

  /** The tenant's API namespaces (namespace → groups), sorted by namespace. */
  namespaces(tenant: string): Map<string, RuleGroupDefinition[]> {
    const t = this.tenants.get(tenant);
    return new Map(
      [...(t?.namespaces ?? new Map<string, RuleGroupDefinition[]>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }

  /** Creates or replaces (by name) a group in a namespace; resolves once stored durably and loaded. */
  setGroup(tenant: string, namespace: string, group: RuleGroupDefinition): Promise<void> {
    return this.changeNamespace(tenant, namespace, (groups) => {
      const at = groups.findIndex((g) => g.name === group.name);
      return at < 0 ? [...groups, group] : groups.map((g, i) => (i === at ? group : g));
    });
  }

  /** Deletes one group; RuleNotFoundError when there is no such group. */
  deleteGroup(tenant: string, namespace: string, name: string): Promise<void> {
    return this.changeNamespace(tenant, namespace, (groups) => {
      if (!groups.some((g) => g.name === name)) throw new RuleNotFoundError('group does not exist');
      return groups.filter((g) => g.name !== name);
    });
  }

  /** Deletes a namespace with its groups; RuleNotFoundError when there is none. */
  deleteNamespace(tenant: string, namespace: string): Promise<void> {
    return this.changeNamespace(tenant, namespace, (groups) => {
      if (groups.length === 0) throw new RuleNotFoundError('unable to find requested namespace');
      return [];
    });
  }

  private async changeNamespace(
    tenant: string,
    namespace: string,
    change: (groups: RuleGroupDefinition[]) => RuleGroupDefinition[],
  ): Promise<void> {
    await this.addTenant(tenant);
    const t = this.tenants.get(tenant);
    if (!t) throw new Error('the ruler is stopping');
    await this.serial(t, async () => {
      const groups = change(t.namespaces.get(namespace) ?? []);
      await this.store.write(tenant, namespace, groups);
      if (groups.length > 0) t.namespaces.set(namespace, groups);
      else t.namespaces.delete(namespace);
      await this.apply(tenant, t);
    });
  }

  private serial<T>(t: TenantRules, op: () => Promise<T>): Promise<T> {
    const run = t.queue.then(op);
    t.queue = run.catch(() => {});
    return run;
  }

  private apply(tenant: string, t: TenantRules): Promise<void> {
    const sources: RuleSource[] = [
      ...t.files,
      ...[...t.namespaces].map(([file, groups]) => ({ file, groups })),
      ...this.opts.defaultRules(tenant),
    ];
    return t.manager.update(sources);
  }

  private recordLoad(tenant: string, t: TenantRules, error: string | undefined): void {
    t.lastError = error;
    this.metrics.reloads.inc({ tenant, result: error ? 'failure' : 'success' });
    this.metrics.reloadSuccessful.set({ tenant }, error ? 0 : 1);
    if (error) this.logger.error({ tenant, err: error }, 'loading rules failed; the previous rules stay');
    else this.metrics.reloadSuccessTime.set({ tenant }, Date.now() / 1000);
  }
}
