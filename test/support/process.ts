import { spawn, type ChildProcess } from 'node:child_process';
import { MALLOC_ENV, NODE_FLAGS } from '../../src/cli/launch.js';

// A real `promdog` process (the compiled CLI), with its JSON log lines collected for assertions.

export const CLI = 'dist/src/cli/main.js';

export interface PromdogProcess {
  child: ChildProcess;
  url: string;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
  /** Waits for a log line whose msg matches. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** What runs the CLI script: a program and its arguments before the script's path. */
export interface Launcher {
  command: string;
  args: readonly string[];
}

/** Node with the flags `npm start` gives it (the environment's settings come with `env`, below). */
export const NODE_LAUNCHER: Launcher = { command: process.execPath, args: NODE_FLAGS };

/**
 * `cli`: another build's CLI script (benchmarks compare builds); default this one's. `env` adds to this process'
 * environment; a variable set to undefined is left out.
 */
export async function spawnPromdog(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cli = CLI,
  launcher = NODE_LAUNCHER,
): Promise<PromdogProcess> {
  const child = spawn(launcher.command, [...launcher.args, cli, 'serve', '--listen', '127.0.0.1:0', ...args], {
    // Started as `npm start` starts it (src/cli/launch.ts); a test or bench may still set its own values.
    env: { ...MALLOC_ENV, ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  const waiters: { re: RegExp; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line);
      } catch {
        rec = { msg: line };
      }
      logs.push(rec);
      for (const w of [...waiters]) {
        if (w.re.test(String(rec.msg))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(rec);
        }
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const waitForLog = (re: RegExp, timeoutMs = 15_000) => {
    const seen = logs.find((l) => re.test(String(l.msg)));
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no log line ${re} within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}; logs: ${JSON.stringify(logs).slice(-2000)}`,
            ),
          ),
        timeoutMs,
      );
      waiters.push({
        re,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      void exited.then((code) =>
        reject(new Error(`promdog exited (${code}) before ${re}; stderr: ${stderr.slice(-2000)}`)),
      );
    });
  };
  // The HTTP listener's line (DogStatsD logs its own "listening on" first).
  const listening = await waitForLog(/^promdog \S+ listening on /);
  return { child, url: String(listening.url), logs, exited, waitForLog };
}
