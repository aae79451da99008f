import { createServer } from 'node:net';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { GossipModule, GossipService, type GossipModuleForRootOptions } from '../../lib';

/** Polls `condition` until it holds (returns its value) or `timeout` ms pass. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  what = 'condition',
  timeout = 10_000,
  every = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeout} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Fast settings for loopback tests. */
export const FAST = {
  bindAddr: '127.0.0.1:0',
  interval: 50,
  joinBackoff: 50,
  leaveTimeout: 2000,
} as const;

/** An initialised HTTP app around `GossipModule.forRoot`, plus extra metadata. */
export async function gossipApp(
  options: Partial<GossipModuleForRootOptions>,
  metadata: ModuleMetadata = {},
): Promise<{ app: INestApplication; gossip: GossipService }> {
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [GossipModule.forRoot({ ...FAST, ...options }), ...(metadata.imports ?? [])],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { app, gossip: app.get(GossipService) };
}

/** Sockets (UDP, TCP servers and streams) the process holds right now. */
export function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => /UDP|TCP|Pipe/i.test(r)).length;
}

/** A loopback port nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
