// The abuse bench's idle-connection flood, in a process of its own (forked by bench/abuse.ts with `<url> <count>`):
// the process that times the Agents' POSTs and the bystander's queries must not also run the callbacks of 20,000
// sockets, or its p99 is its own event loop's. Opens `count` TCP connections at once and sends nothing on them; once
// every attempt has ended it sends an IdleConnectionsOpened, and on the message 'report' an IdleConnectionsHeld,
// then closes them all and exits.
import { connect, type Socket } from 'node:net';

export interface IdleConnectionsOpened {
  /** Attempts that failed (error before or instead of connecting). */
  failed: number;
}

export interface IdleConnectionsHeld {
  /** Connections still open when asked. */
  stillOpen: number;
  /** Connections the server closed (or reset) until then. */
  closedByServer: number;
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const [url, countArg] = process.argv.slice(2);
  if (!url || !process.send) throw new Error('idle-connections: forked by bench/abuse.ts with <url> <count>');
  const { hostname, port } = new URL(url);
  const sockets: Socket[] = [];
  const opened: IdleConnectionsOpened = { failed: 0 };
  const held: IdleConnectionsHeld = { stillOpen: 0, closedByServer: 0 };
  await Promise.all(
    Array.from(
      { length: Number(countArg) },
      () =>
        new Promise<void>((resolve) => {
          let connected = false;
          const sock = connect(Number(port), hostname, () => {
            connected = true;
            held.stillOpen++;
            resolve();
          });
          sock.on('error', () => {
            if (!connected) opened.failed++;
            resolve();
          });
          sock.on('close', () => {
            if (!connected) return;
            held.stillOpen--;
            held.closedByServer++;
          });
          // Reads, so that a close by the server is seen (a paused socket never sees its end).
          sock.resume();
          sockets.push(sock);
        }),
    ),
  );
  process.send(opened);
  process.once('message', () => {
    process.send!(held, () => {
      for (const s of sockets) s.destroy();
      process.exit(0);
    });
  });
}
