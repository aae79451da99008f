import type { INestApplication } from '@nestjs/common';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { AddressInfo, Server, Socket } from 'node:net';
import { GossipService } from '../lib';
import { GossipClients } from '../lib/nest/microservices';

export interface RpcEndpoint {
  /** `127.0.0.1:port` of the microservice TCP server, advertised as the `rpc` entry. */
  address: string;
  /**
   * Dies as a killed process would: the TCP server and its connections drop
   * and gossip stops, with no leave. For tests and demos of failover.
   */
  crash(): Promise<void>;
}

/** Starts the app's microservice TCP server on a free port and advertises it to the cluster. */
export async function startRpc(app: INestApplication): Promise<RpcEndpoint> {
  const microservice = app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port: 0 },
  });
  await app.startAllMicroservices();
  const server = microservice.unwrap<Server>();
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  app.get(GossipClients).advertise(address);
  return {
    address,
    async crash() {
      server.close();
      for (const socket of sockets) socket.destroy();
      const http = app.getHttpServer() as import('node:http').Server;
      http.close();
      http.closeAllConnections();
      await app.get(GossipService).close(); // no leave: peers must detect it
    },
  };
}
