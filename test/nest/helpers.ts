import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { GossipModule, GossipService, type GossipModuleForRootOptions } from '../../lib';

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
