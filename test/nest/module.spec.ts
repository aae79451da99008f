import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  GossipConfigError,
  GossipModule,
  GossipService,
  type GossipModuleOptions,
} from '../../lib';
import { FAST, openSockets } from './helpers';

/** Stands in for @nestjs/config: options come from an injected service. */
@Injectable()
class AppConfig {
  get(key: string): string | undefined {
    return { GOSSIP_BIND: '127.0.0.1:0', GOSSIP_NODE_ID: 'from-config', GOSSIP_INTERVAL: '75' }[
      key
    ];
  }
}

@Module({ providers: [AppConfig], exports: [AppConfig] })
class AppConfigModule {}

@Injectable()
class GossipConfig {
  createGossipOptions(): GossipModuleOptions {
    return { ...FAST, nodeId: 'from-class' };
  }
}

async function boot(imports: unknown[]) {
  const moduleRef = await Test.createTestingModule({
    imports: imports as never[],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('GossipModule configuration', () => {
  it('forRoot binds a node with the given options', async () => {
    const app = await boot([GossipModule.forRoot({ ...FAST, nodeId: 'static' })]);
    const gossip = app.get(GossipService);
    expect(gossip.nodeId).toBe('static');
    expect(gossip.localNode().addr).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect(gossip.status).toBe('joined'); // no seeds: it founds the cluster
    await app.close();
    expect(gossip.status).toBe('closed');
  });

  it('rotates secret keys through the service on a sealed node', async () => {
    const [k1, k2] = [Buffer.alloc(32, 1).toString('base64'), Buffer.alloc(32, 2).toString('hex')];
    const app = await boot([GossipModule.forRoot({ ...FAST, nodeId: 'sealed', secretKeys: [k1] })]);
    const gossip = app.get(GossipService);
    expect(() => gossip.setSecretKeys([k2, k1])).not.toThrow();
    expect(() => gossip.setSecretKeys([])).toThrow(GossipConfigError);
    expect(() => gossip.setSecretKeys(['short'])).toThrow(/secretKeys\[0\] must be 32 bytes/);
    await app.close();
  });

  it('forRootAsync with a factory and an injected config service (strings converted)', async () => {
    const app = await boot([
      GossipModule.forRootAsync({
        imports: [AppConfigModule],
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({
          bindAddr: config.get('GOSSIP_BIND') as string,
          nodeId: config.get('GOSSIP_NODE_ID'),
          interval: config.get('GOSSIP_INTERVAL'), // a string: no cast needed
        }),
      }),
    ]);
    expect(app.get(GossipService).nodeId).toBe('from-config');
    await app.close();
  });

  it('forRootAsync with useClass', async () => {
    const app = await boot([GossipModule.forRootAsync({ useClass: GossipConfig })]);
    expect(app.get(GossipService).nodeId).toBe('from-class');
    await app.close();
  });

  it('forRootAsync with useExisting', async () => {
    @Module({ providers: [GossipConfig], exports: [GossipConfig] })
    class GossipConfigModule {}
    const app = await boot([
      GossipModule.forRootAsync({ imports: [GossipConfigModule], useExisting: GossipConfig }),
    ]);
    expect(app.get(GossipService).nodeId).toBe('from-class');
    await app.close();
  });

  it('isGlobal makes GossipService injectable everywhere', async () => {
    @Injectable()
    class Consumer {
      constructor(readonly gossip: GossipService) {}
    }
    @Module({ providers: [Consumer] })
    class FeatureModule {}
    const app = await boot([GossipModule.forRoot({ ...FAST, isGlobal: true }), FeatureModule]);
    expect(app.get(Consumer).gossip).toBe(app.get(GossipService));
    await app.close();
  });

  describe('invalid options fail before anything binds', () => {
    it.each([
      [{ bindAddr: 'nope' }, /^bindAddr must be host:port .*\(got "nope"\)/],
      [{ bindAddr: '127.0.0.1:0', interval: -5 }, /^interval must be an integer .*\(got -5\)/],
      [
        { bindAddr: '127.0.0.1:0', join: ['bad seed'] },
        /^join\[0\] must be host\[:port\] .*\(got "bad seed"\)/,
      ],
      [
        { bindAddr: '127.0.0.1:0', joinFailFast: 'maybe' },
        /^joinFailFast must be a boolean \(got "maybe"\)/,
      ],
      [
        { bindAddr: '127.0.0.1:0', maxKeySize: 0 },
        /^maxKeySize must be an integer from 1 to 65535 \(got 0\)/,
      ],
    ])('%j', async (options, message) => {
      const compile = Test.createTestingModule({
        imports: [GossipModule.forRoot(options as unknown as GossipModuleOptions)],
      }).compile();
      await expect(compile).rejects.toThrow(GossipConfigError);
      await expect(
        Test.createTestingModule({
          imports: [GossipModule.forRoot(options as unknown as GossipModuleOptions)],
        }).compile(),
      ).rejects.toThrow(message);
    });

    it('lists every bad option, and does so for forRootAsync too', async () => {
      const before = openSockets();
      const compile = Test.createTestingModule({
        imports: [
          GossipModule.forRootAsync({
            useFactory: () => ({ bindAddr: 'localhost', interval: 1.5 }) as GossipModuleOptions,
          }),
        ],
      }).compile();
      await expect(compile).rejects.toThrow(
        /bindAddr must be host:port .*\(got "localhost"\); interval must be an integer from 1 to 3600000, in ms \(got 1.5\)/,
      );
      expect(openSockets()).toBe(before);
    });
  });
});
