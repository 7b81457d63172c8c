// Go's net.SplitHostPort, net.JoinHostPort and net.ParseIP, for stripPort and stripDomain.
import { isIPv4, isIPv6 } from 'node:net';

/** net.SplitHostPort; undefined where Go returns an error. */
export function splitHostPort(hostPort: string): { host: string; port: string } | undefined {
  const i = hostPort.lastIndexOf(':');
  if (i < 0) return undefined; // missing port
  let host: string;
  let j = 0;
  let k = 0;
  if (hostPort[0] === '[') {
    const end = hostPort.indexOf(']');
    if (end < 0 || end + 1 !== i) return undefined; // missing ']', missing port or too many colons
    host = hostPort.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostPort.slice(0, i);
    if (host.includes(':')) return undefined; // too many colons
  }
  if (hostPort.indexOf('[', j) >= 0 || hostPort.indexOf(']', k) >= 0) return undefined;
  return { host, port: hostPort.slice(i + 1) };
}

/** net.JoinHostPort */
export function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Whether net.ParseIP accepts the text: dotted IPv4 (no leading zeros) or IPv6 without a zone. */
export function isIP(s: string): boolean {
  if (s.includes('%')) return false;
  if (isIPv4(s)) return !/(^|\.)0[0-9]/.test(s);
  return isIPv6(s);
}
