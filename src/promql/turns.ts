// Turn-taking between queries that yield the event loop between slices of work. A yield through setImmediate alone
// lets every waiting query run its next slice in the same turn, back to back, before the loop polls for I/O again:
// with five heavy queries an Agent's POST waits five slices at each of its steps. Here each turn of the loop runs
// one waiting slice, so I/O (ingestion, other tenants' requests) is polled between every two.

const waiting: (() => void)[] = [];
let scheduled = false;

function runOne(): void {
  const next = waiting.shift();
  // Scheduled from within the check phase, the next one runs in the next turn of the loop.
  if (waiting.length > 0) setImmediate(runOne);
  else scheduled = false;
  next?.();
}

/** Resolves in a later turn of the event loop, one waiter per turn, in the order they asked. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) {
      scheduled = true;
      setImmediate(runOne);
    }
  });
}
