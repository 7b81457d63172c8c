// The Mimir/Cortex ruler configuration API, so `mimirtool rules load|sync|list` and Grafana's rule management work
// against promdog with a tenant key: rule groups by namespace, read and written as YAML, stored durably by the
// ruler. A POST carries one group; it is checked like a rule file (promtool's messages) and answered 202 once stored
// and loaded, 400 with the problems otherwise. Everything is the requesting tenant's own.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { stringify } from 'yaml';
import { MISSING_KEY_MESSAGE, type ResolveTenant } from '../tenants/request-tenant.js';
import { groupToYamlObject } from '../rules/namespace-store.js';
import { parseRuleGroup } from '../rules/rule-file.js';
import { RuleNotFoundError, type Ruler } from '../rules/ruler.js';
import { ApiError, readBody } from './params.js';

export interface RulerConfigApiDeps {
  resolveTenant: ResolveTenant;
  ruler: Ruler;
  /** Largest POST body. Default 1 MiB. */
  maxBodyBytes?: number;
}

/** mimirtool's paths (`/prometheus/…`), and Grafana's: it appends `/config/v1/rules` to the data source's URL. */
const PREFIXES = ['/prometheus/config/v1/rules', '/config/v1/rules'];

/**
 * What `/api/v1/status/buildinfo` adds so that Grafana edits promdog's rules: Grafana offers rule editing only to a
 * server naming itself Mimir with the ruler configuration API on (its alerting's discoverDataSourceFeatures).
 */
export const RULER_BUILD_INFO = { application: 'Grafana Mimir', features: { ruler_config_api: 'true' } } as const;
const DEFAULT_MAX_BODY_BYTES = 1 << 20;

interface Path {
  namespace?: string;
  group?: string;
}

export function registerRulerConfigApi(app: FastifyInstance, deps: RulerConfigApiDeps): void {
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const ruler = deps.ruler;

  const fail = (reply: FastifyReply, err: ApiError) =>
    reply
      .code(err.status)
      .type('application/json')
      .send(JSON.stringify({ status: 'error', errorType: err.errorType, error: err.message }));

  const route =
    (call: (tenant: string, path: Path, req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const tenant = deps.resolveTenant(req);
      if (!tenant) return fail(reply, new ApiError('unauthorized', MISSING_KEY_MESSAGE, 401));
      try {
        return await call(tenant, req.params as Path, req, reply);
      } catch (e) {
        if (e instanceof ApiError) return fail(reply, e);
        if (e instanceof RuleNotFoundError) return fail(reply, new ApiError('not_found', e.message, 404));
        req.log.error({ err: e, route: req.routeOptions.url }, 'ruler configuration API request failed');
        return fail(reply, new ApiError('internal', `storing the rules failed: ${(e as Error).message}`, 500));
      }
    };

  const yaml = (reply: FastifyReply, value: unknown) => reply.code(200).type('application/yaml').send(stringify(value));
  const accepted = (reply: FastifyReply) =>
    reply
      .code(202)
      .type('application/json')
      .send(JSON.stringify({ status: 'success', data: null, errorType: '', error: '' }));

  const listed = (tenant: string, only?: string) => {
    const out: Record<string, unknown[]> = {};
    for (const [namespace, groups] of ruler.namespaces(tenant)) {
      if (only === undefined || namespace === only) out[namespace] = groups.map(groupToYamlObject);
    }
    return out;
  };

  for (const prefix of PREFIXES) {
    app.get(
      prefix,
      route(async (tenant, _path, _req, reply) => yaml(reply, listed(tenant))),
    );
    app.get(
      `${prefix}/:namespace`,
      route(async (tenant, path, _req, reply) => yaml(reply, listed(tenant, path.namespace!))),
    );
    app.get(
      `${prefix}/:namespace/:group`,
      route(async (tenant, path, _req, reply) => {
        const group = ruler
          .namespaces(tenant)
          .get(path.namespace!)
          ?.find((g) => g.name === path.group);
        if (!group) throw new RuleNotFoundError('group does not exist');
        return yaml(reply, groupToYamlObject(group));
      }),
    );
    app.post(
      `${prefix}/:namespace`,
      route(async (tenant, path, req, reply) => {
        const body = req.body as Readable | undefined;
        const text =
          body && typeof body.pipe === 'function' ? (await readBody(body, maxBodyBytes)).toString('utf8') : '';
        const parsed = parseRuleGroup(text);
        if (!parsed.groups) throw new ApiError('bad_data', parsed.errors.join('\n'), 400);
        const group = parsed.groups[0]!;
        if (group.rules.length === 0)
          throw new ApiError('bad_data', `invalid rules configuration: rule group '${group.name}' has no rules`, 400);
        await ruler.setGroup(tenant, path.namespace!, group);
        return accepted(reply);
      }),
    );
    app.delete(
      `${prefix}/:namespace`,
      route(async (tenant, path, _req, reply) => {
        await ruler.deleteNamespace(tenant, path.namespace!);
        return accepted(reply);
      }),
    );
    app.delete(
      `${prefix}/:namespace/:group`,
      route(async (tenant, path, _req, reply) => {
        await ruler.deleteGroup(tenant, path.namespace!, path.group!);
        return accepted(reply);
      }),
    );
  }
}
