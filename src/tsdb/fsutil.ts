import { open } from 'node:fs/promises';

/** The logging the storage engine needs (pino's signature). */
export interface TsdbLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: TsdbLogger = { info() {}, warn() {}, error() {} };

/** fsyncs a directory so that renames and new files in it survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
