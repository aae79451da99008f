import { Gossip, GossipConfigError } from '../../lib/engine';
import { resolveOptions } from '../../lib/engine/config/options';

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
    [
      { bindAddr: ':0', maxStreamSize: 8192, maxValueSize: 100, maxMessageSize: 8000 },
      /^maxMessageSize must be at most maxStreamSize - 4096/,
    ],
    [{ bindAddr: ':0', maxPendingMessages: 0 }, /^maxPendingMessages must be an integer from 1/],
  ])('rejects %j naming the field', (options, message) => {
    expect(() => resolveOptions(options as never)).toThrow(GossipConfigError);
    expect(() => resolveOptions(options as never)).toThrow(message);
  });

  it.each([
    ['undefined:4000', '"undefined" is not a host: was an environment variable unset?'],
    ['null:4000', '"null" is not a host: was an environment variable unset?'],
    [':4000', ''],
    ['10.0.0:4000', '"10.0.0" is neither an IP address nor a DNS name'],
    ['pod..svc:4000', '"pod..svc" is neither an IP address nor a DNS name'],
    ['-pod:4000', '"-pod" is neither an IP address nor a DNS name'],
  ])('refuses advertiseAddr %j where it is given, naming the field and the value', (addr, why) => {
    const rule = 'advertiseAddr must be host:port with a concrete host and a non-zero port';
    expect(() => resolveOptions({ bindAddr: ':0', advertiseAddr: addr })).toThrow(
      new GossipConfigError('advertiseAddr', rule.slice(14) + (why ? `; ${why}` : ''), addr),
    );
  });

  it('refuses a bind host that is no host, and takes IPs and DNS names', async () => {
    expect(() => resolveOptions({ bindAddr: 'undefined:7946' })).toThrow(
      'bindAddr must be host:port (":port" for all interfaces); "undefined" is not a host: was an environment variable unset? (got "undefined:7946")',
    );
    for (const addr of [
      '10.0.0.5:4000',
      '[fd00::5]:4000',
      'pod-1.gossip.default.svc:4000',
      'my_host.:1',
    ])
      expect(resolveOptions({ bindAddr: ':0', advertiseAddr: addr }).advertisePort).toBeGreaterThan(
        0,
      );
    await expect(
      Gossip.create({ bindAddr: '127.0.0.1:0', advertiseAddr: 'undefined:7946' }),
    ).rejects.toThrow(/^advertiseAddr .*"undefined" is not a host/);
  });

  it('sizes messages under the stream limit unless told otherwise', () => {
    expect(resolveOptions({ bindAddr: ':0' })).toMatchObject({
      maxMessageSize: 64 * 1024 * 1024 - 4096,
      maxPendingMessageBytes: 16 * 1024 * 1024,
      maxPendingMessages: 10_000,
    });
    const small = { bindAddr: ':0', maxStreamSize: 1 << 20, maxValueSize: 1024 };
    expect(resolveOptions(small).maxMessageSize).toBe((1 << 20) - 4096);
    expect(resolveOptions({ bindAddr: ':0', maxMessageSize: '5000' as never }).maxMessageSize).toBe(
      5000,
    );
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
