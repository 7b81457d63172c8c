import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports.js';

// A real server binary run by the tests (Prometheus, Alertmanager): its stderr kept for error messages, ready when
// its readiness check passes, stopped with SIGTERM (SIGKILL after 10 s), and killed with the test process.

const STDERR_KEEP = 64 * 1024;
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

// Children still running when the test process exits (a crashed test, a missing after hook) are killed with it.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The server could not bind its port: someone took the free port before it did. */
export class PortTakenError extends Error {}

/**
 * Starts a server on `port`, or on a free port; a free port can be taken by someone else before the server binds
 * it, so with a port of our choosing another is tried (three attempts).
 */
export async function startOnFreePort<T>(port: number | undefined, start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(port ?? (await freePort()));
    } catch (err) {
      if (port !== undefined || !(err instanceof PortTakenError) || attempt >= 3) throw err;
    }
  }
}

export class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';

  /** `name` for messages ("Prometheus"); `packageName` is the Debian package named when the binary is missing. */
  constructor(
    private readonly name: string,
    private readonly bin: string,
    private readonly packageName: string,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  /** The running server's process id (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines the server wrote to stderr (its log). */
  logTail(maxChars = 4000): string {
    return this.stderr.slice(-maxChars);
  }

  /** An error whose message ends with the server's log tail. */
  error(message: string): Error {
    return new Error(`${message}\n--- ${this.name} log (tail) ---\n${this.logTail(2000)}`);
  }

  /**
   * Spawns the server and polls `ready` (false or a throw: not yet) until it passes. On failure the server is
   * stopped and the error says why, with its log; PortTakenError when its address was in use.
   */
  async launch(args: string[], ready: () => Promise<boolean>): Promise<void> {
    try {
      await this.spawnAndWait(args, ready);
    } catch (err) {
      await this.stop();
      if (this.stderr.includes('address already in use')) throw new PortTakenError((err as Error).message);
      throw err;
    }
  }

  /** SIGTERM, then wait for the exit (SIGKILL if it takes longer than 10 s). No-op when not running. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  private async spawnAndWait(args: string[], ready: () => Promise<boolean>): Promise<void> {
    const child = spawn(this.bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    running.add(child);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
      if (this.stderr.length > 2 * STDERR_KEEP) this.stderr = this.stderr.slice(-STDERR_KEEP);
    });
    let exitStatus: string | undefined;
    this.exited = new Promise((resolve) => {
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        exitStatus = signal ? `signal ${signal}` : `code ${code}`;
        running.delete(child);
        if (this.child === child) this.child = undefined;
        resolve();
      };
      child.once('exit', onExit);
      child.once('error', (err) => {
        this.stderr +=
          `\nspawn ${this.bin}: ${err.message}` +
          ('code' in err && err.code === 'ENOENT'
            ? ` (install it: apt-get install -y --no-install-recommends ${this.packageName})`
            : '');
        onExit(null, null);
      });
    });
    const giveUpAt = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exitStatus !== undefined) throw this.error(`${this.name} exited (${exitStatus}) before it was ready`);
      try {
        if (await ready()) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > giveUpAt) throw this.error(`${this.name} not ready after ${READY_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
