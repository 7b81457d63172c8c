import { createServer, type IncomingHttpHeaders } from 'node:http';

// A loopback HTTP server that records every request promdog sends it and answers as the test says: to assert what
// promdog sends (headers, paths, bodies) and how it takes answers a real backend gives only when broken (HTML error
// pages, no answer at all, answers too large).

export interface RecordedRequest {
  method: string;
  /** Path and query string. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ScriptedAnswer {
  status: number;
  /** Default `content-type: application/json`. */
  headers?: Record<string, string>;
  body: string | Buffer;
}

/** The answer to a request; undefined never answers (until the server closes). */
export type Answerer = (req: RecordedRequest) => ScriptedAnswer | undefined | Promise<ScriptedAnswer | undefined>;

export interface RecordingServer {
  url: string;
  seen: RecordedRequest[];
  close(): Promise<void>;
}

export async function recordingServer(answer: Answerer): Promise<RecordingServer> {
  const seen: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const recorded = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(recorded);
      const a = await answer(recorded);
      if (a) res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
