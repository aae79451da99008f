import { randomBytes } from 'node:crypto';
import { Gossip, GossipBindError, GossipJoinError, GossipPeerError } from '../../lib/engine';
import { explainJoinError, joinHint } from '../../lib/engine/vocabulary/errors';
import { LoopbackCluster } from '../support/cluster';

jest.setTimeout(30_000);

/** Why a join failed, as callers read it: the GossipPeerError reason of each cause, no message matching. */
async function joinFailure(joiner: Gossip, addr: string): Promise<string[]> {
  const err = await joiner.join([addr]).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GossipJoinError);
  return (err as GossipJoinError).causes.map((c) =>
    c instanceof GossipPeerError ? c.reason : 'untyped',
  );
}

describe('typed peer errors', () => {
  const cluster = new LoopbackCluster();
  afterEach(() => cluster.closeAll());

  it('names another cluster, other keys and a dead address', async () => {
    const blue = await cluster.start('blue', { clusterId: 'blue' });
    const red = await cluster.start('red', { clusterId: 'red' });
    expect(await joinFailure(red.gossip, blue.addr)).toEqual(['cluster']);

    const sealed = await cluster.start('sealed', { secretKeys: [randomBytes(32)] });
    const other = await cluster.start('other', { secretKeys: [randomBytes(32)] });
    expect(await joinFailure(other.gossip, sealed.addr)).toEqual(['auth']);

    const spare = await Gossip.create({ bindAddr: '127.0.0.1:0' });
    const dead = spare.localNode().addr;
    await spare.close();
    const lonely = await cluster.start('lonely', { streamTimeout: 1000 });
    expect(await joinFailure(lonely.gossip, dead)).toEqual(['unreachable']);
  });
});

describe('errors that say where', () => {
  const cluster = new LoopbackCluster();
  afterEach(() => cluster.closeAll());

  it('Gossip.create on a taken port throws GossipBindError naming bindAddr', async () => {
    const first = await Gossip.create({ bindAddr: '127.0.0.1:0' });
    const taken = first.localNode().addr;
    const err = await Gossip.create({ bindAddr: taken }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await first.close();
    expect(err).toBeInstanceOf(GossipBindError);
    expect(err?.message).toMatch(
      new RegExp(`^bindAddr "${taken}": port \\d+ is already in use .*EADDRINUSE`),
    );
  });

  it('explains a join by the GossipPeerError reason of each cause', async () => {
    const blue = await cluster.start('blue', { clusterId: 'blue' });
    const red = await cluster.start('red', { clusterId: 'red' });
    const err = await red.gossip.join([blue.addr]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(explainJoinError(err)).toBe(
      `${blue.addr} belongs to another cluster: set the same clusterId on every node (${blue.addr} refused: node blue is in cluster "blue", not "red")`,
    );
    expect(joinHint(new GossipPeerError('auth', blue.addr, 'x'))).toMatch(/secretKeys/);
    expect(joinHint(new GossipPeerError('refused', blue.addr, 'x'))).toBeUndefined();
  });
});
