import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `host:port`, `[v6]:port`, `:port` (host '') and, when
 * `defaultPort` is given, a bare host. Returns undefined when malformed.
 */
export function parseHostPort(text: string, defaultPort?: number): HostPort | undefined {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest === '') portText = undefined;
    else if (rest.startsWith(':')) portText = rest.slice(1);
    else return undefined;
    if (isIP(host) !== 6) return undefined;
  } else {
    const colons = text.split(':').length - 1;
    if (colons === 0) {
      host = text;
    } else if (colons === 1) {
      const at = text.indexOf(':');
      host = text.slice(0, at);
      portText = text.slice(at + 1);
    } else if (isIP(text) === 6) {
      host = text; // bare IPv6 without port
    } else {
      return undefined;
    }
  }
  let port: number;
  if (portText === undefined) {
    if (defaultPort === undefined) return undefined;
    port = defaultPort;
  } else {
    if (!/^\d{1,5}$/.test(portText)) return undefined;
    port = Number(portText);
  }
  if (port < 0 || port > 65535) return undefined;
  if (host !== '' && !/^[A-Za-z0-9._:%-]+$/.test(host)) return undefined;
  return { host, port };
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** This host's first non-internal IPv4 address, or 127.0.0.1 when it has none. */
export function firstExternalIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family === 'IPv4' && !info.internal) return info.address;
    }
  }
  return '127.0.0.1';
}

export function isUnspecified(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::';
}
