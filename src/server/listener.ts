import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ServeConfig } from '../config/config.js';
import type { HttpMetrics } from './metrics.js';

// The HTTP(S) server Fastify runs on (its serverFactory), bounded so that no client can hold what the others need:
// open connections, time to send request headers, idle keep-alive time, and with TLS the protocol versions and
// ciphers. docs/configuration.md ("Limits") lists them with their counters.

/** Time to receive a whole request (headers and body), as Fastify's default server had it. */
const REQUEST_TIMEOUT_MS = 60_000;
/** How often Node checks connections against the header and request timeouts (its default is 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;
/** The first byte of a TLS record carrying a handshake: every ClientHello starts with it. */
const TLS_HANDSHAKE = 0x16;
/** File descriptors the store, the event store and the logs may need beside the connections. */
const FILE_DESCRIPTORS_FOR_FILES = 1024;
/** A plain-HTTP request on the TLS port is logged at most this often (the counter has every one). */
const PLAIN_HTTP_LOG_INTERVAL_MS = 60_000;

/**
 * The listening socket's accept queue: as long as the kernel allows (Linux caps it at net.core.somaxconn, 4096 by
 * default since 5.4), not Node's 511. When a burst of connections fills the queue the kernel drops their handshakes
 * and the clients retry after 1, 3, 7 s: a new client waits seconds for its first answer, and a connection over
 * --max-connections as long for its refusal (meanwhile its client may believe it open).
 */
export const LISTEN_BACKLOG = 65_535;

type ListenerConfig = Pick<ServeConfig, 'limits' | 'tls'>;

/**
 * The connections that could hold the shutdown, closed when the server shuts down. Node stops enforcing the header
 * and request timeouts once the server closes, and Fastify then closes only connections that have finished a
 * request: one that never sent a whole request (or whose client vanished) held the shutdown forever, and so did a
 * request whose body stopped arriving.
 */
export class RequestlessConnections {
  private readonly waiting = new Set<Socket>();
  /** Requests in flight per connection (more than one when a client pipelines). */
  private readonly inFlight = new WeakMap<Socket, number>();
  /** Requests not yet answered: at shutdown, those whose body has not fully arrived are given `bodyGraceMs`. */
  private readonly unanswered = new Set<IncomingMessage>();
  private bodyGraceMs = 0;
  private onBodyTimeout: () => void = () => {};
  private closing = false;

  /**
   * Follows the server's connections (`connectionEvent`: after the TLS handshake with TLS) and requests.
   * `bodyGraceMs`: how long a request still receiving its body at shutdown may take to finish it before its
   * connection is closed (`onBodyTimeout` counts each).
   */
  watch(
    server: Server,
    connectionEvent: 'connection' | 'secureConnection',
    bodyGraceMs: number,
    onBodyTimeout: () => void,
  ): void {
    this.bodyGraceMs = bodyGraceMs;
    this.onBodyTimeout = onBodyTimeout;
    server.on(connectionEvent, (socket: Socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.waiting.add(socket);
      socket.once('close', () => this.waiting.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      this.waiting.delete(socket);
      this.inFlight.set(socket, (this.inFlight.get(socket) ?? 0) + 1);
      this.unanswered.add(req);
      if (this.closing) this.expireIfIncomplete(req);
      res.once('close', () => {
        this.unanswered.delete(req);
        const left = (this.inFlight.get(socket) ?? 1) - 1;
        this.inFlight.set(socket, left);
        if (left > 0 || socket.destroyed) return;
        // Once closing, a keep-alive connection ends after its answer rather than waiting for the idle timeout.
        if (this.closing) socket.end();
        else this.waiting.add(socket);
      });
    });
  }

  /**
   * From now on closes every connection without a request in flight: those now, the others after their answer; and
   * after the grace, the connection of each request whose body has still not fully arrived (its client retries).
   */
  close(): void {
    this.closing = true;
    for (const socket of this.waiting) socket.destroy();
    for (const req of this.unanswered) this.expireIfIncomplete(req);
  }

  private expireIfIncomplete(req: IncomingMessage): void {
    if (req.complete) return;
    setTimeout(() => {
      if (req.complete || req.socket.destroyed || !this.unanswered.has(req)) return;
      this.onBodyTimeout();
      req.socket.destroy();
    }, this.bodyGraceMs).unref();
  }
}

/** Fastify's serverFactory: the server for its request handler. */
export function serverFactory(
  cfg: ListenerConfig,
  metrics: HttpMetrics,
  logger: Logger,
  connections: RequestlessConnections,
): (handler: RequestListener) => Server {
  return (handler) => {
    const limits = cfg.limits;
    const httpOptions = {
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: Math.max(REQUEST_TIMEOUT_MS, limits.headerTimeoutMs),
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    };
    const tls = cfg.tls;
    const server = tls
      ? createHttpsServer(
          {
            ...httpOptions,
            cert: readFileSync(tls.certFile),
            key: readFileSync(tls.keyFile),
            minVersion: tls.minVersion,
            ciphers: tls.ciphers,
            handshakeTimeout: limits.headerTimeoutMs,
          },
          handler,
        )
      : createHttpServer(httpOptions, handler);
    server.keepAliveTimeout = limits.idleTimeoutMs;
    // Past it Node closes each new connection as soon as it is accepted; established ones are untouched.
    server.maxConnections = limits.maxConnections;
    server.on('drop', () => metrics.connectionsClosed.inc({ reason: 'max_connections' }));
    // Node answers 408 (headers or body too slow); Fastify's own listener writes the answer.
    server.on('clientError', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') metrics.connectionsClosed.inc({ reason: 'timeout' });
    });
    if (tls) {
      server.on('tlsClientError', (err: Error) => {
        metrics.connectionsClosed.inc({ reason: 'tls_handshake' });
        logger.debug({ err }, 'TLS handshake failed');
      });
      answerPlainHttp(server, limits.headerTimeoutMs, metrics, logger);
    }
    connections.watch(server, tls ? 'secureConnection' : 'connection', limits.headerTimeoutMs, () =>
      metrics.connectionsClosed.inc({ reason: 'timeout' }),
    );
    warnOnFewFileDescriptors(limits.maxConnections, logger);
    return server;
  };
}

/**
 * A plain-HTTP request on the TLS port gets a plain-HTTP 400 saying so, instead of a TLS alert no HTTP client can
 * show. Each new connection's first bytes decide: a TLS handshake goes on to TLS with those bytes put back.
 */
function answerPlainHttp(server: Server, firstByteTimeoutMs: number, metrics: HttpMetrics, logger: Logger): void {
  const tlsConnection = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  let lastLogged = -Infinity;
  let unlogged = 0;
  server.on('connection', (socket: Socket) => {
    // A connection that sends nothing is closed like one that sends no headers.
    socket.setTimeout(firstByteTimeoutMs, () => {
      metrics.connectionsClosed.inc({ reason: 'timeout' });
      socket.destroy();
    });
    socket.once('data', (first: Buffer) => {
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE) {
        for (const listener of tlsConnection) listener.call(server, socket);
        return;
      }
      metrics.connectionsClosed.inc({ reason: 'plain_http' });
      const body = JSON.stringify({ errors: ['this port speaks HTTPS: send the request to https:// instead'] });
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      socket.resume();
      const now = Date.now();
      if (now - lastLogged < PLAIN_HTTP_LOG_INTERVAL_MS) unlogged++;
      else {
        logger.warn(
          { remoteAddress: socket.remoteAddress, alsoSince: unlogged },
          'plain HTTP request on the HTTPS port: answered 400 (clients must use https://)',
        );
        lastLogged = now;
        unlogged = 0;
      }
    });
  });
}

/** Logs a warning when the process may run out of file descriptors before it reaches maxConnections (Linux). */
function warnOnFewFileDescriptors(maxConnections: number, logger: Logger): void {
  let limits: string;
  try {
    limits = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return;
  }
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
  if (soft < maxConnections + FILE_DESCRIPTORS_FOR_FILES)
    logger.warn(
      { openFilesLimit: soft, maxConnections },
      `the open-files limit (ulimit -n ${soft}) leaves too few for --max-connections ${maxConnections}: ` +
        `raise it to ${maxConnections + FILE_DESCRIPTORS_FOR_FILES} or lower --max-connections`,
    );
}
