import { createServer as createHttpServer, type Server } from 'node:http';
import { createSocket } from 'node:dgram';
import { Test } from '@nestjs/testing';
import { GossipBindError, GossipModule } from '../../lib';
import { FAST } from './helpers';
import { freePort } from '../support/net';

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

  it('a seed that is an HTTP server: "answered, but not as a gossip node: is that the HTTP port?"', async () => {
    const http: Server = createHttpServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const seed = `127.0.0.1:${(http.address() as { port: number }).port}`;
    const err = await boot({ join: [seed], joinAttempts: 1, joinFailFast: true });
    http.close();
    expect(err?.message).toContain(
      `GossipModule: could not join any of ${seed} in 1 attempts (option join = ["${seed}"]): ${seed} answered, but not as a gossip node: is that the HTTP port? A seed is a peer's gossip port (its bindAddr) (reply from ${seed} exceeds 67108864 bytes)`,
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
