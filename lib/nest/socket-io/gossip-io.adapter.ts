import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import { GOSSIP_ENGINE } from '../constants';
import type { GossipAdapterOptions } from './adapter-options';
import { createGossipAdapter } from './create-gossip-adapter';
import type { Gossip } from '../../engine';

/**
 * Nest's Socket.IO adapter with rooms, emits, `fetchSockets()` and
 * `serverSideEmit` shared across every instance of the gossip cluster, no
 * Redis needed:
 *
 * ```ts
 * const app = await NestFactory.create(AppModule); // imports GossipModule
 * app.useWebSocketAdapter(new GossipIoAdapter(app));
 * ```
 *
 * Each Socket.IO server it creates uses `createGossipAdapter` on the app's
 * gossip engine (`GOSSIP_ENGINE`), read when the first gateway starts.
 */
export class GossipIoAdapter extends IoAdapter {
  constructor(
    private readonly app: INestApplicationContext,
    private readonly options: GossipAdapterOptions = {},
  ) {
    super(app);
  }

  /** Nest calls it for each gateway server: socket.io's own, with the gossip adapter. */
  override createIOServer(port: number, options?: ServerOptions): Server {
    const gossip = this.app.get<symbol, Gossip>(GOSSIP_ENGINE, { strict: false });
    const adapter = createGossipAdapter(gossip, this.options);
    return super.createIOServer(port, { ...options, adapter }) as Server;
  }
}
