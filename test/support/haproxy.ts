import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerProcess, startOnFreePort } from './server-process.js';

/**
 * A real HAProxy (the Debian package, /usr/sbin/haproxy, 2.6 on Debian 12) for tests: an HTTP load balancer on
 * 127.0.0.1 at a free port in front of promdog replicas, as docs/operations.md configures one:
 * - round robin over the servers, health-checked on `/-/ready` every 200 ms (down after one failure, up after one
 *   success), so a killed replica leaves the rotation at once and a restarted one comes back;
 * - a request that could not connect is retried on another server (`option redispatch`); a request a server took
 *   and did not answer (it was killed) is not: the client gets 502 and retries, as the Agent does.
 */
export interface HAProxyOptions {
  /** The replicas' `host:port`. */
  servers: string[];
}

const HAPROXY_BIN = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';

export class HAProxyProcess {
  readonly url: string;
  private readonly server = new ServerProcess('HAProxy', HAPROXY_BIN, 'haproxy');

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(opts: HAProxyOptions): Promise<HAProxyProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'promdog-haproxy-'));
    try {
      return await startOnFreePort(undefined, async (port) => {
        const lb = new HAProxyProcess(port, dir);
        await lb.launch(opts);
        return lb;
      });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  logTail(maxChars = 4000): string {
    return this.server.logTail(maxChars);
  }

  async cleanup(): Promise<void> {
    await this.server.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async launch(opts: HAProxyOptions): Promise<void> {
    const lines = [
      'global',
      '  maxconn 1024',
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  retries 3',
      '  option redispatch',
      'frontend agents',
      `  bind 127.0.0.1:${this.port}`,
      '  default_backend replicas',
      'backend replicas',
      '  balance roundrobin',
      '  option httpchk GET /-/ready',
      ...opts.servers.map((s, i) => `  server replica-${i} ${s} check inter 200ms fall 1 rise 1`),
    ];
    const config = join(this.dir, 'haproxy.cfg');
    await writeFile(config, `${lines.join('\n')}\n`);
    await this.server.launch(['-db', '-f', config], async () => {
      // Listening is enough: the backends' servers may not be up yet.
      const res = await fetch(`${this.url}/-/healthy`);
      await res.arrayBuffer();
      return true;
    });
  }
}
