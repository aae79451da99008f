import { createServer as createHttpServer, type Server } from 'node:http';
import { createSocket } from 'node:dgram';
import { Test } from '@nestjs/testing';
import { GossipBindError, GossipConfigError, GossipJoinError, GossipModule } from '../../lib';
import { Gossip } from '../../lib/engine';
import { explainJoinError } from '../../lib/engine/vocabulary/errors';
import { GossipClients, provideGossipClients } from '../../lib/nest/microservices';
import { FAST, gossipApp } from './helpers';
import { freePort } from '../support/net';

const quiet = { debug: () => {}, warn: () => {}, error: () => {} };

async function boot(options: object): Promise<Error | undefined> {
  try {
    const moduleRef = await Test.createTestingModule({
      imports: [GossipModule.forRoot({ ...FAST, ...options } as never)],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await app.close();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

describe('bind and join failures say which option, which value, and what to try', () => {
  it('a port already taken names bindAddr and asks whether it is the HTTP port', async () => {
    const port = await freePort();
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', resolve));
    const err = await boot({ bindAddr: `127.0.0.1:${port}` });
    udp.close();
    expect(err).toBeInstanceOf(GossipBindError);
    expect(err?.message).toBe(
      `bindAddr "127.0.0.1:${port}": port ${port} is already in use (gossip needs it for both UDP and TCP): another node, or the app's HTTP port? Pick another port, or port 0 for any free one (bind EADDRINUSE 127.0.0.1:${port})`,
    );
  });

  it('a host that is not this machine, or does not resolve, names bindAddr', async () => {
    const unknown = await boot({ bindAddr: 'no-such-host.invalid:0' });
    expect(unknown?.message).toMatch(
      /^bindAddr "no-such-host\.invalid:0": the host does not resolve; use an IP address of this machine, or ":0" for every interface \(getaddrinfo (ENOTFOUND|EAI_AGAIN) no-such-host\.invalid\)$/,
    );
    const foreign = await boot({ bindAddr: '192.0.2.1:0' }); // TEST-NET-1, never local
    expect(foreign?.message).toMatch(
      /^bindAddr "192\.0\.2\.1:0": that IP is not an address of this machine; use one of its addresses, or ":0" for every interface/,
    );
  });

  it('a seed that is an HTTP server: "it looks like a non-gossip service (an HTTP server?)"', async () => {
    const http: Server = createHttpServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const seed = `127.0.0.1:${(http.address() as { port: number }).port}`;
    const err = await boot({ join: [seed], joinAttempts: 1, joinFailFast: true });
    http.close();
    expect(err?.message).toContain(
      `GossipModule: could not join any of ${seed} in 1 attempt (option join = ["${seed}"]): ${seed} answered, but not as a gossip node (reply from ${seed} exceeds 67108864 bytes): it looks like a non-gossip service (an HTTP server?) at that address. A seed is a peer's gossip port (its bindAddr), not its HTTP port`,
    );
    expect(err?.message.endsWith('not its HTTP port')).toBe(true);
  });

  it("the engine's GossipJoinError says the same as the module, in one place", async () => {
    const http: Server = createHttpServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const seed = `127.0.0.1:${(http.address() as { port: number }).port}`;
    const gossip = await Gossip.create({ bindAddr: '127.0.0.1:0', logger: quiet });
    const err = await gossip.join([seed]).then(
      () => new Error('joined'),
      (e: unknown) => e as Error,
    );
    await gossip.close();
    const module = await boot({
      join: [seed],
      joinAttempts: 2,
      joinBackoff: 1,
      joinFailFast: true,
    });
    http.close();
    expect(err).toBeInstanceOf(GossipJoinError);
    const explained = `${seed} answered, but not as a gossip node (reply from ${seed} exceeds 67108864 bytes): it looks like a non-gossip service (an HTTP server?) at that address. A seed is a peer's gossip port (its bindAddr), not its HTTP port`;
    expect(err.message).toBe(`join failed: ${explained}`);
    expect(explainJoinError(err)).toBe(explained);
    expect(module?.message).toBe(
      `GossipModule: could not join any of ${seed} in 2 attempts (option join = ["${seed}"]): ${explained}`,
    );
  });

  it('a seed where nothing listens asks whether the peer is up and the port is its gossip port', async () => {
    const seed = `127.0.0.1:${await freePort()}`;
    const err = await boot({ join: [seed], joinAttempts: 1, joinFailFast: true });
    expect(err?.message).toMatch(
      new RegExp(
        `${seed} refused the connection: is the peer up, and is that its gossip port \\(its bindAddr\\)\\? \\(stream to ${seed} failed: connect ECONNREFUSED`,
      ),
    );
  });
});

describe('an address nobody can dial is refused where it is given (POD_IP unset)', () => {
  it('advertiseAddr and a seed of "undefined" fail the bootstrap naming the option', async () => {
    const advertised = await boot({ advertiseAddr: `${process.env.UNSET_POD_IP}:7946` });
    expect(advertised).toBeInstanceOf(GossipConfigError);
    expect(advertised?.message).toBe(
      'advertiseAddr must be host:port with a concrete host and a non-zero port; "undefined" is not a host: was an environment variable unset? (got "undefined:7946")',
    );
    const seed = await boot({ join: ['10.0.0.1', `${process.env.UNSET_SEED}:7946`] });
    expect(seed?.message).toBe(
      'join[1] must be host[:port] (an IP or a DNS name); "undefined" is not a host: was an environment variable unset? (got "undefined:7946")',
    );
  });

  it('GossipClients.advertise refuses it before peers route to it', async () => {
    const { app, gossip } = await gossipApp({}, { providers: [...provideGossipClients()] });
    const clients = app.get(GossipClients);
    expect(() => clients.advertise(`${process.env.UNSET_POD_IP}:4000`)).toThrow(
      new GossipConfigError(
        'advertise(address)',
        'must be host:port with a concrete host and a non-zero port; "undefined" is not a host: was an environment variable unset?',
        'undefined:4000',
      ),
    );
    expect(() => clients.advertise('0.0.0.0:4000')).toThrow(GossipConfigError);
    expect(gossip.localNode().entries.some((e) => e.key === clients.addressKey)).toBe(false);
    clients.advertise('127.0.0.1:4000');
    expect(gossip.localNode().entries.find((e) => e.key === clients.addressKey)?.value).toBe(
      '127.0.0.1:4000',
    );
    await app.close();
  });
});
