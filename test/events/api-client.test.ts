import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { client, v1, v2 } from '@datadog/datadog-api-client';
import { startPromdog, type TestPromdog } from '../support/promdog.js';
import { freePort } from '../support/ports.js';

// Datadog's official TypeScript client pointed at a real promdog: events created through v1 and v2 are read back
// through both versions (get, list with filters, v2 pagination), in the key's tenant only, in both modes.

let pd: TestPromdog;
let gw: TestPromdog;

/** The client as a user configures it: API key and application key (promdog needs only the former). */
function configuration(url: string, apiKey: string): client.Configuration {
  return client.createConfiguration({
    baseServer: new client.BaseServerConfiguration(url, {}),
    authMethods: { apiKeyAuth: apiKey, appKeyAuth: 'any-application-key' },
    enableRetry: false,
  });
}

const nowS = () => Math.floor(Date.now() / 1000);

before(async () => {
  pd = await startPromdog(['--self-scrape-interval', '0']);
  // Gateway mode with a target nobody listens on: events never touch it.
  gw = await startPromdog([
    '--remote-write-url',
    `http://127.0.0.1:${await freePort()}/api/v1/write`,
    '--self-scrape-interval',
    '0',
  ]);
});
after(async () => {
  await pd?.close();
  await gw?.close();
});

async function rejectsWith(p: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(p, (e: Error & { code?: number }) => {
    assert.equal(e.code, code, String(e));
    return true;
  });
}

describe('events API with @datadog/datadog-api-client', () => {
  test('v1: createEvent, getEvent, listEvents with time, priority, sources and tags', async () => {
    const api = new v1.EventsApi(configuration(pd.url, pd.keys.default));
    const happened = nowS() - 60;
    const created = await api.createEvent({
      body: {
        title: 'Deploy v1.2',
        text: 'rolled out to 3 hosts',
        dateHappened: happened,
        priority: 'low',
        host: 'app-1',
        tags: ['env:prod', 'team:web'],
        alertType: 'success',
        aggregationKey: 'deploy',
        sourceTypeName: 'jenkins',
      },
    });
    assert.equal(created.status, 'ok');
    const e = created.event!;
    assert.ok(Number.isSafeInteger(e.id) && e.id! > 0);
    assert.equal(e.idStr, String(e.id));
    assert.equal(e.dateHappened, happened);
    assert.match(e.url!, new RegExp(`^${pd.url}/#/events\\?id=${e.id}$`));
    const other = await api.createEvent({ body: { title: 'Backup done', text: '', tags: ['env:dev'] } });

    const got = (await api.getEvent({ eventId: e.id! })).event!;
    assert.deepEqual(
      [got.id, got.title, got.text, got.host, got.tags, got.priority, got.alertType, got.sourceTypeName],
      [e.id, 'Deploy v1.2', 'rolled out to 3 hosts', 'app-1', ['env:prod', 'team:web'], 'low', 'success', 'jenkins'],
    );
    assert.equal(got.dateHappened, happened);

    const list = async (params: Partial<v1.EventsApiListEventsRequest>) =>
      (await api.listEvents({ start: nowS() - 3600, end: nowS() + 60, ...params })).events!.map((x) => x.title);
    assert.deepEqual(await list({}), ['Backup done', 'Deploy v1.2']);
    assert.deepEqual(await list({ priority: 'low' }), ['Deploy v1.2']);
    assert.deepEqual(await list({ priority: 'normal' }), ['Backup done']);
    assert.deepEqual(await list({ sources: 'chef,jenkins' }), ['Deploy v1.2']);
    assert.deepEqual(await list({ tags: 'env:prod,team:web' }), ['Deploy v1.2']);
    assert.deepEqual(await list({ tags: '-env:prod' }), ['Backup done']);
    assert.deepEqual(await list({ unaggregated: true, excludeAggregate: true, page: 0 }), [
      'Backup done',
      'Deploy v1.2',
    ]);
    assert.deepEqual(await list({ unaggregated: true, page: 1 }), []);
    assert.deepEqual(await list({ start: happened - 10, end: happened + 10 }), ['Deploy v1.2']);

    await rejectsWith(api.getEvent({ eventId: other.event!.id! + 12345 }), 404);
  });

  test('v2: createEvent (alert, change), getEvent, listEvents with a query and pagination', async () => {
    const api = new v2.EventsApi(configuration(pd.url, pd.keys.default));
    const alert = await api.createEvent({
      body: {
        data: {
          type: 'event',
          attributes: {
            title: 'Checkout errors',
            category: 'alert',
            message: 'error rate 12%',
            host: 'web-2',
            tags: ['service:checkout', 'suite:v2'],
            aggregationKey: 'checkout',
            attributes: { status: 'error', priority: '1', custom: { rate: 0.12 } },
          },
        },
      },
    });
    const id = alert.data!.attributes!.attributes!.evt!.id!;
    assert.match(id, /^\d+$/);
    assert.equal(alert.data!.attributes!.attributes!.evt!.uid, id);
    assert.equal(alert.links!.self, `${pd.url}/#/events?id=${id}`);
    const ts = new Date(Date.now() - 30_000);
    await api.createEvent({
      body: {
        data: {
          type: 'event',
          attributes: {
            title: 'Flag fallback on',
            category: 'change',
            timestamp: ts.toISOString(),
            tags: ['suite:v2'],
            attributes: { changedResource: { name: 'fallback', type: 'feature_flag' } },
          },
        },
      },
    });

    const got = (await api.getEvent({ eventId: id })).data!;
    assert.equal(got.id, id);
    assert.equal(got.attributes!.message, 'error rate 12%');
    assert.deepEqual(got.attributes!.tags, ['service:checkout', 'suite:v2']);
    // The client cannot tell an alert's attributes from a change's (both parse: every field is optional) and keeps
    // them unparsed, as it does with Datadog's own answers.
    const unparsed = got.attributes!.attributes as unknown as { _data: Record<string, unknown> };
    const attrs = unparsed._data as {
      status: string;
      priority: string;
      title: string;
      custom: object;
      evt: { id: string };
    };
    assert.equal(attrs.status, 'error');
    assert.equal(attrs.priority, '1');
    assert.equal(attrs.title, 'Checkout errors');
    assert.deepEqual(attrs.custom, { rate: 0.12 });
    assert.equal(attrs.evt.id, id);
    await rejectsWith(api.getEvent({ eventId: '999' }), 404);

    const listed = await api.listEvents({ filterQuery: 'suite:v2', filterFrom: 'now-1h', filterTo: 'now' });
    const [newest, older] = listed.data!;
    assert.deepEqual(
      listed.data!.map((d) => d.attributes!.attributes!.title),
      ['Checkout errors', 'Flag fallback on'],
    );
    assert.equal(newest!.id, id);
    assert.equal(newest!.attributes!.attributes!.hostname, 'web-2');
    assert.equal(newest!.attributes!.attributes!.service, 'checkout');
    assert.equal(older!.attributes!.timestamp!.getTime(), ts.getTime());
    assert.equal(older!.attributes!.attributes!.evt!.id, older!.id);
    assert.equal(listed.meta!.page, undefined, 'one page: no cursor');

    const filtered = await api.listEvents({
      filterQuery: 'status:error host:web-2 checkout',
      filterFrom: String(Date.now() - 3600_000),
      sort: 'timestamp',
    });
    assert.deepEqual(
      filtered.data!.map((d) => d.id),
      [id],
    );
  });

  test('v2 listEventsWithPagination walks every page; v1 and v2 events are one stream', async () => {
    const v1api = new v1.EventsApi(configuration(pd.url, pd.keys.default));
    const v2api = new v2.EventsApi(configuration(pd.url, pd.keys.default));
    const titles: string[] = [];
    for (let i = 0; i < 7; i++) {
      const title = `page test ${i}`;
      titles.push(title);
      await v1api.createEvent({ body: { title, text: '', tags: ['paged:yes'], dateHappened: nowS() - 100 + i } });
    }
    const seen: string[] = [];
    for await (const e of v2api.listEventsWithPagination({
      filterQuery: 'paged:yes',
      filterFrom: 'now-1h',
      sort: 'timestamp',
      pageLimit: 3,
    }))
      seen.push(e.attributes!.attributes!.title!);
    assert.deepEqual(seen, titles);
    const page = await v2api.listEvents({ filterQuery: 'paged:yes', filterFrom: 'now-1h', pageLimit: 3 });
    assert.ok(page.meta!.page!.after);
    assert.match(page.links!.next!, /page%5Bcursor%5D=/);
    assert.deepEqual(
      page.data!.map((d) => d.attributes!.attributes!.title),
      ['page test 6', 'page test 5', 'page test 4'],
    );
  });

  test('tenants: a key reads, gets and lists only its tenant’s events', async () => {
    const asDefault = new v1.EventsApi(configuration(pd.url, pd.keys.default));
    const asSystem = new v1.EventsApi(configuration(pd.url, pd.keys.system));
    const mine = await asDefault.createEvent({ body: { title: 'default only', text: 'secret' } });
    await asSystem.createEvent({ body: { title: 'system only', text: '' } });
    await rejectsWith(asSystem.getEvent({ eventId: mine.event!.id! }), 404);
    const systemTitles = (await asSystem.listEvents({ start: nowS() - 3600, end: nowS() + 60 })).events!.map(
      (e) => e.title,
    );
    assert.deepEqual(systemTitles, ['system only']);
    const v2System = await new v2.EventsApi(configuration(pd.url, pd.keys.system)).listEvents({
      filterFrom: 'now-1h',
    });
    assert.deepEqual(
      v2System.data!.map((d) => d.attributes!.attributes!.title),
      ['system only'],
    );
    await rejectsWith(new v1.EventsApi(configuration(pd.url, 'not-a-key')).listEvents({ start: 0, end: 1 }), 403);
    await rejectsWith(
      new v1.EventsApi(configuration(pd.url, 'not-a-key')).createEvent({ body: { title: 't', text: '' } }),
      403,
    );
  });

  test('gateway mode: events are stored and read the same way', async () => {
    const api = new v1.EventsApi(configuration(gw.url, gw.keys.default));
    const created = await api.createEvent({ body: { title: 'from the gateway', text: 'kept locally' } });
    assert.equal((await api.getEvent({ eventId: created.event!.id! })).event!.text, 'kept locally');
    const v2list = await new v2.EventsApi(configuration(gw.url, gw.keys.default)).listEvents({});
    assert.deepEqual(
      v2list.data!.map((d) => d.id),
      [String(created.event!.id)],
    );
  });
});
