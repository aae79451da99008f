import { createSocket } from 'node:dgram';
import { MessageType, encodeMessage } from '../../lib/engine/codec';
import { idTag } from '../../lib/engine/liveness/prober';
import { LoopbackCluster } from '../support/cluster';
import { sleep, waitFor } from '../support/wait';
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

    const spoofer = createSocket('udp4');
    await new Promise<void>((resolve) => spoofer.bind(0, '127.0.0.1', resolve));
    const replies: number[] = [];
    spoofer.on('message', (data) => replies.push(data.length));
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
      encodeMessage({ type: MessageType.Ping, seq: 7, target: idTag('amp-target') }),
      encodeMessage({
        type: MessageType.Ping,
        seq: 8,
        target: idTag('amp-target'),
        summary: { hi: 1, lo: 2 },
      }),
    ];
    for (const request of requests) {
      replies.length = 0;
      spoofer.send(request, Number(port), host);
      await sleep(300);
      expect(replies.length).toBeGreaterThan(0);
      for (const size of replies) expect(size).toBeLessThanOrEqual(2 * request.length);
    }
    spoofer.close();
  });
});
