import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import type { Gossip } from '../../engine';
import { GOSSIP_ENGINE } from '../constants';
import { DEFAULT_CHANNEL, type GossipAdapterOptions } from './adapter-options';
import { createGossipAdapter } from './create-gossip-adapter';

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
 * gossip engine (`GOSSIP_ENGINE`). Gateways on the HTTP server share one
 * server; a gateway on a port of its own (`@WebSocketGateway(81)`) gets its
 * own server, so its channel is suffixed with the port (`socket.io:81`):
 * it is shared with the same gateway on the other instances only.
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
    const channel = this.options.channel ?? DEFAULT_CHANNEL;
    const adapter = createGossipAdapter(this.engine(), {
      ...this.options,
      channel: port ? `${channel}:${port}` : channel,
    });
    return super.createIOServer(port, { ...options, adapter }) as Server;
  }

  private engine(): Gossip {
    try {
      return this.app.get<symbol, Gossip>(GOSSIP_ENGINE, { strict: false });
    } catch (err) {
      throw new Error(
        `GossipIoAdapter needs GossipModule imported in the application (${(err as Error).message})`,
      );
    }
  }
}
