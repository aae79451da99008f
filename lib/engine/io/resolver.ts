import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Resolves a host name to every IP address it has (A and AAAA).
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export type Resolver = (host: string) => Promise<string[]>;

/**
 * The operating system's resolver (hosts file, then DNS).
 *
 * Advanced: for tests, simulators and custom networks; may change in a minor release.
 *
 * @beta
 */
export const systemResolver: Resolver = async (host) => {
  const results = await lookup(host, { all: true, verbatim: true });
  return results.map((r) => r.address);
};

/** IP literals resolve to themselves without asking anyone. */
export async function resolveHost(resolver: Resolver, host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  const addrs = await resolver(host);
  return [...new Set(addrs)];
}
