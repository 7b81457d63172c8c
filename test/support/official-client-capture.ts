import * as client from '@datadog/datadog-api-client/dist/packages/datadog-api-client-common/index.js';

// Test support: the bodies Datadog's official TypeScript API client (@datadog/datadog-api-client, a dev dependency)
// really serializes, captured by an HTTP layer that answers 202 without any network. The whole client takes seconds
// to load, so tests import the API classes they use by their module path (v1's MetricsApi loads in a fraction).

export interface CapturedRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

export async function captureClientRequests(
  send: (conf: client.Configuration) => Promise<unknown>,
): Promise<CapturedRequest[]> {
  const captured: CapturedRequest[] = [];
  const httpApi: client.HttpLibrary = {
    async send(req) {
      const body = req.getBody();
      captured.push({
        url: req.getUrl(),
        headers: req.getHeaders(),
        body: Buffer.from(typeof body === 'string' ? body : (body as Buffer)),
      });
      const reply = '{"status":"ok","errors":[]}';
      return new client.ResponseContext(
        202,
        { 'content-type': 'application/json' },
        { text: async () => reply, binary: async () => Buffer.from(reply) },
      );
    },
  };
  await send(
    client.createConfiguration({ httpApi, authMethods: { apiKeyAuth: 'test-key', appKeyAuth: 'test-app-key' } }),
  );
  return captured;
}
