import { Inject, Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { NODE_CONFIG, type NodeConfig } from './node-config';

/** What the chat page sends, and what every page receives. */
export interface ChatLine {
  name: string;
  text: string;
  /** The instance the sender is connected to. */
  via: string;
  at: number;
}

/**
 * The chat behind GET /chat. The app uses `GossipIoAdapter` (sample/cluster.ts),
 * so `server.emit` here reaches the pages connected to every instance, and
 * `fetchSockets()` counts them all.
 */
@WebSocketGateway()
export class ChatGateway implements OnGatewayConnection, OnGatewayDisconnect {
  @WebSocketServer() server!: Server;
  private readonly logger: Logger;

  constructor(@Inject(NODE_CONFIG) private readonly config: NodeConfig) {
    this.logger = new Logger(`${config.id} chat`);
  }

  handleConnection(client: Socket): void {
    client.emit('welcome', { via: this.config.id });
    void this.announcePresence();
  }

  handleDisconnect(): void {
    void this.announcePresence();
  }

  @SubscribeMessage('chat')
  chat(@MessageBody() body: unknown, @ConnectedSocket() client: Socket): void {
    const { name, text } = (typeof body === 'object' && body !== null ? body : {}) as {
      name?: unknown;
      text?: unknown;
    };
    const line = String(text ?? '')
      .trim()
      .slice(0, 500);
    if (!line) return;
    const who =
      String(name ?? '')
        .trim()
        .slice(0, 40) || `guest-${client.id.slice(0, 4)}`;
    const message: ChatLine = { name: who, text: line, via: this.config.id, at: Date.now() };
    this.server.emit('chat', message);
  }

  /** Tells every page how many pages are open, on all instances. */
  private async announcePresence(): Promise<void> {
    try {
      const [sockets, servers] = await Promise.all([
        this.server.fetchSockets(),
        this.server.of('/').adapter.serverCount(),
      ]);
      this.server.emit('presence', { clients: sockets.length, servers });
    } catch (err) {
      this.logger.warn(`presence: ${(err as Error).message}`);
    }
  }
}
