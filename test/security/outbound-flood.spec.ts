import { Socket as UdpSocket, createSocket } from 'node:dgram';
import { Server, Socket, createServer } from 'node:net';
import { MessageType, encodeMessage } from '../../lib/engine/codec';
import { LoopbackCluster } from '../support/cluster';
import { sleep, waitFor } from '../support/wait';
import { addrOf } from './support';

jest.setTimeout(30_000);

/** A UDP socket and a TCP listener on one loopback port; the listener accepts and never answers. */
interface Tarpit {
  udp: UdpSocket;
  tcp: Server;
  held: Socket[];
}

async function tarpit(): Promise<Tarpit> {
  for (;;) {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const held: Socket[] = [];
    const tcp = createServer((socket) => {
      held.push(socket);
      socket.on('error', () => undefined);
    });
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(udp.address().port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return { udp, tcp, held };
    udp.close();
  }
}

describe('outbound connections an attacker can trigger', () => {
  const nodes = new LoopbackCluster();
  const pits: Tarpit[] = [];
  afterAll(async () => {
    for (const pit of pits) {
      for (const socket of pit.held) socket.destroy();
      pit.udp.close();
      await new Promise((resolve) => pit.tcp.close(resolve));
    }
    await nodes.closeAll();
  });

  it('truncated acks from many sources open one background sync at a time', async () => {
    const victim = await nodes.startEngine('sync-victim', { streamTimeout: 5000 });
    const port = Number(addrOf(victim).split(':')[1]);
    // "More is owed, sync with me over TCP", from 40 addresses that accept and never answer.
    const ack = encodeMessage({
      type: MessageType.Ack,
      clusterId: 'default',
      from: 'someone',
      delta: [],
      truncated: true,
    });
    for (let i = 0; i < 40; i++) pits.push(await tarpit());
    for (const pit of pits) pit.udp.send(ack, port, '127.0.0.1');
    const held = () => pits.reduce((n, pit) => n + pit.held.length, 0);
    await waitFor(() => held() >= 1, 'the victim to open its background sync');
    await sleep(300); // give any further connection time to show up
    expect(held()).toBe(1);
    // Joins and explicit syncs are not held up by them.
    const peer = await nodes.startEngine('sync-peer');
    await expect(peer.join([addrOf(victim)])).resolves.toEqual(['sync-victim']);
  });
});
