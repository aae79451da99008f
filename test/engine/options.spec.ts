import { Gossip, GossipConfigError, resolveOptions } from '../../lib/engine';

describe('options', () => {
  it('fills defaults', () => {
    const o = resolveOptions({ bindAddr: '127.0.0.1:0' });
    expect(o).toMatchObject({
      interval: 100,
      maxPacketSize: 1400,
      nodeExpiry: 60_000,
      clusterId: 'default',
    });
    expect(o.nodeId).toMatch(/-[0-9a-f]{8}$/);
    expect(o.advertiseHost).toBe('127.0.0.1');
  });

  it.each([
    [{ bindAddr: 'nope' }, /^bindAddr must be host:port/],
    [{ bindAddr: '127.0.0.1:70000' }, /^bindAddr must be host:port/],
    [{ bindAddr: ':0', advertiseAddr: '0.0.0.0:1' }, /^advertiseAddr must be/],
    [{ bindAddr: ':0', interval: 0 }, /^interval must be an integer from 1/],
    [
      { bindAddr: ':0', maxPacketSize: 100 },
      /^maxPacketSize must be an integer from 512 to 65507 \(got 100\)/,
    ],
    [{ bindAddr: ':0', phiThreshold: -1 }, /^phiThreshold must be a positive number/],
    [{ bindAddr: ':0', nodeId: '' }, /^nodeId must be a non-empty string/],
    [{ bindAddr: ':0', secretKeys: ['short'] }, /^secretKeys\[0\] must be 32 bytes/],
    [{ bindAddr: ':0', maxStreamSize: 2048, maxValueSize: 4096 }, /^maxStreamSize must be larger/],
  ])('rejects %j naming the field', (options, message) => {
    expect(() => resolveOptions(options as never)).toThrow(GossipConfigError);
    expect(() => resolveOptions(options as never)).toThrow(message);
  });

  it('accepts 32-byte keys as hex, base64 or bytes', () => {
    const raw = Buffer.alloc(32, 7);
    const o = resolveOptions({
      bindAddr: ':0',
      secretKeys: [raw.toString('hex'), raw.toString('base64'), raw],
    });
    expect(o.secretKeys.every((k) => k.equals(raw))).toBe(true);
  });

  it('fails Gossip.create before binding anything', async () => {
    await expect(Gossip.create({ bindAddr: '127.0.0.1:0', interval: -5 })).rejects.toThrow(
      /interval/,
    );
  });
});
