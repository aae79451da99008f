import { createSocket } from 'node:dgram';
import { MessageType, encodeMessage } from '../../lib/engine/codec';
import { idTag } from '../../lib/engine/liveness/prober';
import { LoopbackCluster } from '../support/cluster';
import { waitFor } from '../support/wait';
import { addrOf } from './support';

jest.setTimeout(30_000);

/**
 * A datagram from an address no node has (its source may be spoofed, to
 * aim our reply at a victim) never gets a reply more than twice its size.
 * Tried against a node that holds a cluster's worth of state, with the
 * requests that used to draw the largest replies.
 */
describe('replies to unknown addresses', () => {
  const nodes = new LoopbackCluster();
  afterAll(() => nodes.closeAll());

  it('are at most twice the size of what was sent', async () => {
    const target = await nodes.startEngine('amp-target');
    for (let i = 0; i < 6; i++) {
      const peer = await nodes.startEngine(`amp-peer-${i}`);
      for (let k = 0; k < 20; k++) peer.upsertLocal(`key-${k}`, 'x'.repeat(40));
      await peer.join([addrOf(target)]);
    }
    await waitFor(() => target.livePeers().length === 6, 'the target to hold the cluster');

    const [host, port] = addrOf(target).split(':');
    const requests = [
      // "I hold nothing at all": a complete, empty digest asks for everything.
      encodeMessage({
        type: MessageType.Syn,
        clusterId: 'default',
        from: 'stranger',
        partial: false,
        digest: [],
        summary: { hi: 1, lo: 2 },
      }),
      encodeMessage({ type: MessageType.Ping, seq: 7, target: idTag('amp-target'), from: 1 }),
      encodeMessage({
        type: MessageType.Ping,
        seq: 8,
        target: idTag('amp-target'),
        from: 1,
        summary: { hi: 1, lo: 2 },
      }),
    ];
    // One source socket per request, so every reply is held against the request it answers.
    const spoofers = await Promise.all(
      requests.map(async (request) => {
        const socket = createSocket('udp4');
        await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
        const replies: number[] = [];
        socket.on('message', (data) => replies.push(data.length));
        return { socket, request, replies };
      }),
    );
    const [, barrier] = requests; // a plain ping: answered with one small datagram
    try {
      for (const { socket, request, replies } of spoofers) {
        socket.send(request, Number(port), host);
        await waitFor(() => replies.length > 0, `a reply to message type ${request[0]}`);
        // Loopback keeps order: once the ping sent next is answered, every reply
        // to the request is in. The last reply is the ping's, not checked.
        const before = replies.length;
        socket.send(barrier, Number(port), host);
        await waitFor(() => replies.length > before, 'the reply to the ping sent after it');
        const answers = replies.slice(0, -1);
        expect(answers.length).toBeGreaterThan(0);
        for (const size of answers) expect(size).toBeLessThanOrEqual(2 * request.length);
      }
    } finally {
      for (const { socket } of spoofers) socket.close();
    }
  });
});
