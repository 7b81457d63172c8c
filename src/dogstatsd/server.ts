import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { DgramSocket } from 'node-unix-socket';
import type { DecodedPayload } from '../model/datadog.js';
import type { Registry } from 'prom-client';
import { DogStatsDAggregator, type AggregatorOptions } from './aggregator.js';
import { DogStatsDStats, registerDogStatsDMetrics } from './stats.js';

export interface DogStatsDLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DogStatsDServerOptions extends Omit<AggregatorOptions, 'stats'> {
  /** UDP `HOST:PORT` (`[::1]:8125`, `:8125` for every interface; port 0 picks a free one). Omit for no UDP. */
  listen?: string;
  /** Unix datagram socket path (the Agent's `dogstatsd_socket`). Omit for no unix socket. */
  socketPath?: string;
  /** SO_RCVBUF in bytes for the UDP and the unix socket (the Agent's `dogstatsd_so_rcvbuf`); the kernel caps it at
   * net.core.rmem_max. */
  recvBufferSize?: number;
  /** Tenant the data belongs to, passed to onFlush. Default 'default'. */
  tenant?: string;
  /** Receives each flush; the server waits for it before handing over the next one. */
  onFlush: (payload: DecodedPayload, tenant: string) => Promise<void>;
  /** Where the `promdog_dogstatsd_*` metrics are declared. */
  registry?: Registry;
  /** How often closed buckets, events and service checks are flushed. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Flushes waiting for onFlush at most; a flush beyond that is dropped (`flush_failed`). Default 60. */
  maxPendingFlushes?: number;
  logger?: DogStatsDLogger;
}

/** Splits `HOST:PORT`; an IPv6 host is written in brackets. */
export function parseListenAddress(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const portText = i === -1 ? listen : listen.slice(i + 1);
  let host = i === -1 ? '' : listen.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid DogStatsD listen address ${JSON.stringify(listen)}: expected HOST:PORT`);
  }
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Whether a process still has a socket bound at `path`, found by connecting a stream socket to it. */
function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true); // a stream server
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      // EPROTOTYPE: a datagram socket is bound there (a stream cannot connect to it). ECONNREFUSED: nobody is bound,
      // the file was left by a process that ended. ENOENT: it went away meanwhile.
      if (err.code === 'EPROTOTYPE') resolve(true);
      else if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(new Error(`cannot tell whether a process is listening on it: ${err.message}`));
    });
  });
}

/** Removes a socket file left by a process that ended (bind would fail with EADDRINUSE). The Agent removes any
 * socket file there; promdog leaves a live one alone, so a second instance fails instead of silently taking the path
 * from the first, and never removes a file that is not a socket. */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new Error('the path exists and is not a socket');
  if (await socketIsLive(path)) throw new Error('another process is listening on it');
  unlinkIfPresent(path);
}

/** DogStatsD over UDP and unix datagrams, aggregated like the Datadog Agent and flushed to onFlush. */
export class DogStatsDServer {
  readonly stats = new DogStatsDStats();
  readonly aggregator: DogStatsDAggregator;
  private readonly opts: DogStatsDServerOptions;
  private readonly tenant: string;
  private udp: UdpSocket | null = null;
  private unix: DgramSocket | null = null;
  /** The socket file this server created; removed on stop even when the socket failed. */
  private unixPath: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private delivery: Promise<void> = Promise.resolve();
  private pendingFlushes = 0;

  constructor(opts: DogStatsDServerOptions) {
    this.opts = opts;
    this.tenant = opts.tenant ?? 'default';
    this.aggregator = new DogStatsDAggregator({ ...opts, stats: this.stats });
    if (opts.registry) registerDogStatsDMetrics(opts.registry, this.stats);
  }

  async start(): Promise<void> {
    if (this.opts.listen !== undefined) await this.startUdp(this.opts.listen);
    if (this.opts.socketPath !== undefined) {
      try {
        await this.startUnix(this.opts.socketPath);
      } catch (err) {
        const udp = this.udp;
        this.udp = null;
        if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
        throw err;
      }
    }
    this.timer = setInterval(() => void this.tick(), this.opts.flushIntervalMs ?? 1000);
  }

  /** SO_RCVBUF of the listening socket as the kernel reports it (Linux reports twice the size set), null when off. */
  recvBufferSize(transport: 'udp' | 'unix'): number | null {
    const sock = transport === 'udp' ? this.udp : this.unix;
    return sock ? sock.getRecvBufferSize() : null;
  }

  /** The bound UDP address (useful with port 0). */
  udpAddress(): { address: string; port: number } | null {
    if (!this.udp) return null;
    const a = this.udp.address();
    return { address: a.address, port: a.port };
  }

  private async startUdp(listen: string): Promise<void> {
    const { host, port } = parseListenAddress(listen);
    const sock = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    sock.on('message', (msg) => this.receive(msg, 'udp'));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sock.on('error', (err) => {
      this.stats.receiveErrors++;
      this.opts.logger?.warn({ err }, 'DogStatsD UDP socket error');
    });
    this.applyRecvBufferSize(sock, 'UDP');
    this.udp = sock;
    const a = sock.address();
    this.opts.logger?.info({ address: `${a.address}:${a.port}`, tenant: this.tenant }, 'DogStatsD listening on UDP');
  }

  private applyRecvBufferSize(
    sock: { setRecvBufferSize(n: number): void; getRecvBufferSize(): number },
    transport: string,
  ): void {
    const wanted = this.opts.recvBufferSize;
    if (wanted === undefined) return;
    sock.setRecvBufferSize(wanted);
    // Linux reports twice the size set (it adds its bookkeeping) and caps the request at net.core.rmem_max.
    const got = sock.getRecvBufferSize();
    if (got < wanted) {
      this.opts.logger?.warn(
        { wanted, got },
        `DogStatsD ${transport} receive buffer is smaller than asked (raise net.core.rmem_max)`,
      );
    }
  }

  /** Node has no AF_UNIX SOCK_DGRAM (node:dgram is UDP only): node-unix-socket provides it. */
  private async startUnix(path: string): Promise<void> {
    let sock: DgramSocket | null = null;
    let bound = false;
    try {
      await removeStaleSocket(path);
      sock = new DgramSocket();
      sock.bind(path); // synchronous, throws with the system's message (its `code` is not the errno)
      bound = true;
      // Writable by every local client, as the Agent makes it (0722).
      chmodSync(path, 0o722);
      this.applyRecvBufferSize(sock, 'unix socket');
    } catch (err) {
      // An unclosed DgramSocket keeps the process alive.
      sock?.close();
      if (bound) unlinkIfPresent(path);
      throw new Error(`cannot bind DogStatsD unix socket ${path}: ${(err as Error).message}`);
    }
    // node-unix-socket closes the socket before it emits 'error': the listener has stopped.
    sock.on('error', (err: Error) => {
      this.stats.receiveErrors++;
      if (this.unix === sock) this.unix = null;
      this.opts.logger?.error({ err, path }, 'DogStatsD unix socket failed; no longer receiving on it');
    });
    sock.on('data', (msg: Buffer) => this.receive(msg, 'unix'));
    this.unix = sock;
    this.unixPath = path;
    this.opts.logger?.info({ path, tenant: this.tenant }, 'DogStatsD listening on unix socket');
  }

  private receive(msg: Buffer, transport: 'udp' | 'unix'): void {
    try {
      this.aggregator.ingest(msg, transport);
    } catch (err) {
      // The parser never throws on input; this guards the listener against a bug taking the socket down.
      this.stats.receiveErrors++;
      this.opts.logger?.error({ err }, 'DogStatsD packet handling failed');
    }
  }

  /**
   * Flushes what is due now (with `includeOpen`, the open bucket too) and resolves once onFlush has taken it (or
   * failed). Called by the timer, and by stop().
   */
  tick(includeOpen = false): Promise<void> {
    const payload = this.aggregator.flush(undefined, includeOpen);
    if (!payload) return this.delivery;
    const points = countPoints(payload);
    if (this.pendingFlushes >= (this.opts.maxPendingFlushes ?? 60)) {
      this.stats.dropped.flush_failed += points.total;
      this.opts.logger?.error({ points: points.total }, 'DogStatsD flush dropped: the pipeline is not keeping up');
      return this.delivery;
    }
    this.pendingFlushes++;
    this.stats.flushes++;
    this.delivery = this.delivery.then(async () => {
      try {
        await this.opts.onFlush(payload, this.tenant);
        this.stats.flushed.series += points.series;
        this.stats.flushed.sketches += points.sketches;
        this.stats.flushed.events += payload.events.length;
        this.stats.flushed.service_checks += payload.serviceChecks.length;
      } catch (err) {
        this.stats.flushErrors++;
        this.stats.dropped.flush_failed += points.total;
        this.opts.logger?.error({ err, points: points.total }, 'DogStatsD flush failed');
      } finally {
        this.pendingFlushes--;
      }
    });
    return this.delivery;
  }

  /** Stops listening, flushes every bucket (the open one too) and what is pending, and waits for onFlush. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.udp) {
      const sock = this.udp;
      this.udp = null;
      await new Promise<void>((resolve) => sock.close(() => resolve()));
    }
    this.unix?.close(); // does not remove the file
    this.unix = null;
    if (this.unixPath !== null) unlinkIfPresent(this.unixPath);
    this.unixPath = null;
    // Nothing arrives any more: the open bucket is flushed too rather than lost with the process.
    await this.tick(true);
  }
}

function countPoints(p: DecodedPayload): { series: number; sketches: number; total: number } {
  let series = 0;
  for (const s of p.series) series += s.values.length;
  let sketches = 0;
  for (const s of p.sketches) sketches += s.points.length;
  return { series, sketches, total: series + sketches + p.events.length + p.serviceChecks.length };
}
