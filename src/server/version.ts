import { readFileSync } from 'node:fs';

// The version has one source, package.json; both the source tree (src/server) and the build (dist/src/server) sit
// three levels below it.
const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

export const VERSION: string = pkg.version;
