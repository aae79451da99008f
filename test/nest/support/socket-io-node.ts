/**
 * One Nest app with a Socket.IO gateway on the gossip adapter, for the
 * real-process Socket.IO test:
 *   node -r test/support/ts-register.js socket-io-node.ts <id> <seed|-> [requestsTimeout]
 * Prints JSON lines: `ready` (gossip and HTTP addresses), `live` (the live
 * member ids, whenever they change), and `reply` for each command read
 * from stdin (one JSON object a line, `{ id, op, ... }`):
 *   emit { room?, event, data }   server.emit or server.to(room).emit
 *   fetch                         server.fetchSockets(): [{ id, rooms }]
 *   ask                           server.serverSideEmitWithAck('whoami')
 *   servers                       the adapter's serverCount()
 * A client joins the room named by its `room` query parameter; every
 * instance answers `whoami` with its node id.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  type OnGatewayConnection,
  type OnGatewayInit,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import type { Server, Socket } from 'socket.io';
import { GossipModule, GossipService } from '../../../lib';
import { GossipIoAdapter } from '../../../lib/nest/socket-io';

const [id, seed, requestsTimeout = '5000'] = process.argv.slice(2);
const say = (message: object) => process.stdout.write(JSON.stringify(message) + '\n');

interface Command {
  id: number;
  op: string;
  room?: string;
  event?: string;
  data?: unknown;
}

@WebSocketGateway()
class ProbeGateway implements OnGatewayInit, OnGatewayConnection {
  @WebSocketServer() server!: Server;

  afterInit(server: Server): void {
    server.on('whoami', (answer: (nodeId: string) => void) => answer(id));
  }

  handleConnection(client: Socket): void {
    const room = client.handshake.query.room;
    if (typeof room === 'string') void client.join(room);
  }

  async run(op: string, command: Command): Promise<unknown> {
    switch (op) {
      case 'emit': {
        const target = command.room ? this.server.to(command.room) : this.server;
        return target.emit(command.event ?? 'message', command.data);
      }
      case 'fetch':
        return (await this.server.fetchSockets())
          .map((s) => ({ id: s.id, rooms: [...s.rooms].sort() }))
          .sort((x, y) => x.id.localeCompare(y.id));
      case 'ask':
        return ((await this.server.serverSideEmitWithAck('whoami')) as string[]).sort();
      case 'servers':
        return this.server.of('/').adapter.serverCount();
      default:
        throw new Error(`unknown op ${op}`);
    }
  }
}

@Module({
  imports: [
    GossipModule.forRoot({
      bindAddr: '127.0.0.1:0',
      nodeId: id,
      join: seed === '-' ? [] : [seed],
      joinBackoff: 100,
      interval: 100,
      leaveTimeout: 2000,
      metrics: false,
    }),
  ],
  providers: [ProbeGateway],
})
class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: false });
  app.useWebSocketAdapter(new GossipIoAdapter(app, { requestsTimeout: Number(requestsTimeout) }));
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const gossip = app.get(GossipService);
  const { port } = app.getHttpServer().address() as AddressInfo;
  say({ ready: { gossip: gossip.localNode().addr, http: `http://127.0.0.1:${port}` } });

  let live = '';
  const report = () => {
    const now = JSON.stringify(
      gossip.engine
        .livePeers()
        .map((n) => n.id)
        .sort(),
    );
    if (now !== live) say({ live: JSON.parse((live = now)) as string[] });
  };
  report();
  gossip.events$.subscribe(report);

  const gateway = app.get(ProbeGateway);
  createInterface({ input: process.stdin }).on('line', (line) => {
    const command = JSON.parse(line) as Command;
    gateway.run(command.op, command).then(
      (value) => say({ reply: command.id, ok: true, value }),
      (err: Error) => say({ reply: command.id, ok: false, error: err.message }),
    );
  });
}

main().catch((err: Error) => {
  console.error(err.stack ?? err);
  process.exit(1);
});
