/**
 * Loopback ports for processes started by the bench. Each port is bound for
 * both TCP and UDP at once (our nodes and memberlist's use the same number
 * for both), all `count` are held together so they differ, then released for
 * the processes to take.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

const HOST = '127.0.0.1';

function listenTcp(port: number): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: HOST, exclusive: true }, () => resolve(server));
  });
}

function bindUdp(port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(port, HOST, () => resolve(socket));
  });
}

/** `count` distinct ports on 127.0.0.1 free for both TCP and UDP a moment ago. */
export async function freePorts(count: number): Promise<number[]> {
  const held: { tcp: Server; udp: Socket }[] = [];
  try {
    for (let tries = 0; held.length < count; tries++) {
      if (tries > count * 20) throw new Error(`could not find ${count} free loopback ports`);
      const tcp = await listenTcp(0);
      const { port } = tcp.address() as { port: number };
      try {
        held.push({ tcp, udp: await bindUdp(port) });
      } catch {
        tcp.close(); // taken for UDP: try another
      }
    }
    return held.map((h) => (h.tcp.address() as { port: number }).port);
  } finally {
    await Promise.all(
      held.map(
        (h) =>
          new Promise<void>((resolve) => {
            h.udp.close();
            h.tcp.close(() => resolve());
          }),
      ),
    );
  }
}
