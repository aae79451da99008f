import { Test } from '@nestjs/testing';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  GossipConfigError,
  GossipModule,
  GossipService,
  type GossipModuleOptions,
} from '../../lib';
import { GOSSIP_OPTION_RULES, resolveOptions } from '../../lib/engine/config/options';
import { GossipOptionsDto, validateGossipOptions } from '../../lib/nest/gossip-options.dto';
import { MODULE_OPTION_RULES } from '../../lib/nest/module-option-rules';
import { FAST } from './helpers';

/** What `process.env` / `ConfigService.get()` hands out: strings, or nothing. */
const env: Record<string, string | undefined> = {
  GOSSIP_BIND: '127.0.0.1:0',
  GOSSIP_INTERVAL: '75',
  GOSSIP_MAX_NODES: '500',
  GOSSIP_MAX_KEY: '64',
  GOSSIP_SEEDS: '',
  GOSSIP_FAIL_FAST: 'false',
  GOSSIP_JOIN_MODE: 'wait',
};

describe('module options from the environment', () => {
  it('accepts strings where the environment gives strings, with no cast, for every kind of option', async () => {
    // This object type-checks as it is: before, `interval: string` and `join: string` did not.
    const fromEnv: GossipModuleOptions = {
      bindAddr: env.GOSSIP_BIND ?? ':7946',
      interval: env.GOSSIP_INTERVAL,
      maxNodes: env.GOSSIP_MAX_NODES,
      maxKeySize: env.GOSSIP_MAX_KEY,
      join: env.GOSSIP_SEEDS,
      joinFailFast: env.GOSSIP_FAIL_FAST,
      joinOnBootstrap: 'wait',
      leaveTimeout: '2000',
      secretKeys: undefined,
    };
    const moduleRef = await Test.createTestingModule({
      imports: [GossipModule.forRootAsync({ useFactory: () => fromEnv })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const gossip = app.get(GossipService);
    // The strings became numbers: a key over 64 bytes is refused by the engine.
    expect(() => gossip.upsertLocal('k'.repeat(65), 'v')).toThrow(/over maxKeySize 64/);
    expect(gossip.status).toBe('joined'); // "" seeds: none, so it founds the cluster
    await app.close();
  });

  it('converts and checks every engine option alike: maxNodes "500" works as interval "500" does', () => {
    const resolved = validateGossipOptions({
      bindAddr: ':0',
      interval: '500',
      maxNodes: '500',
      maxKeySize: '100',
      maxValueSize: '2048',
      maxEntriesPerNode: '10',
      maxStreamSize: '65536',
      maxInboundStreams: '4',
      streamTimeout: '900',
      phiThreshold: '9.5',
      join: 'a:7946, b:7946',
      joinFailFast: 'true',
    });
    expect(resolved).toMatchObject({
      interval: 500,
      maxNodes: 500,
      maxKeySize: 100,
      maxValueSize: 2048,
      maxEntriesPerNode: 10,
      maxStreamSize: 65536,
      maxInboundStreams: 4,
      streamTimeout: 900,
      phiThreshold: 9.5,
      join: ['a:7946', 'b:7946'],
      joinFailFast: true,
      joinOnBootstrap: 'wait',
      joinAttempts: 5,
    });
  });

  it.each(
    Object.entries(GOSSIP_OPTION_RULES)
      .filter(([, rule]) => rule.kind === 'integer')
      .map(([name, rule]) => [name, (rule.min as number) - 1] as const),
  )(
    '%s below its minimum: the module and the engine refuse it with the same words',
    (name, bad) => {
      const options = { bindAddr: ':0', [name]: bad };
      const engine = captured(() => resolveOptions(options as never));
      const module = captured(() => validateGossipOptions(options as never));
      expect(engine).toBeInstanceOf(GossipConfigError);
      expect(engine?.message).toMatch(new RegExp(`^${name} must be an integer`));
      expect(module?.message).toBe(engine?.message);
    },
  );

  it.each([
    [
      { bindAddr: '127.0.0.1:99999' },
      'bindAddr must be host:port (":port" for all interfaces), with a port from 0 to 65535 (got "127.0.0.1:99999")',
    ],
    [
      { bindAddr: ':0', join: ['10.0.0.1:7946', 'http://127.0.0.1:17946'] },
      'join[1] must be host[:port] (an IP or a DNS name), without a scheme: drop "http://" (got "http://127.0.0.1:17946")',
    ],
    [
      { bindAddr: ':0', join: 'a:7946,b:70000' },
      'join[1] must be host[:port] (an IP or a DNS name), with a port from 0 to 65535 (got "b:70000")',
    ],
    [
      { bindAddr: ':0', joinOnBootstrap: 'later' },
      'joinOnBootstrap must be one of "wait", "background" (got "later")',
    ],
    [
      { bindAddr: ':0', maxNodes: 'many' },
      'maxNodes must be an integer from 1 to 10000000 (got "many")',
    ],
    [
      { bindAddr: ':0', registry: {} },
      "registry is not a GossipModule option: choose the registry with the module's `metrics: { registry }` (got [object Object])",
    ],
  ])('%j is refused naming the option, the entry and the fix', (options, message) => {
    expect(captured(() => validateGossipOptions(options as never))?.message).toBe(message);
  });

  it('keeps test hooks out of the module options type', () => {
    const options: GossipModuleOptions = {
      ...FAST,
      // @ts-expect-error clock is an engine test hook, not a module option
      clock: undefined,
    };
    expect(options.bindAddr).toBe(FAST.bindAddr);
  });
});

describe('module options are checked once, at bootstrap, through class-validator', () => {
  afterEach(() => jest.restoreAllMocks());

  it('checks each option once: the engine trusts what the module validated', async () => {
    const interval = jest.spyOn(GOSSIP_OPTION_RULES.interval, 'problem');
    const seeds = jest.spyOn(MODULE_OPTION_RULES.join, 'problem');
    const moduleRef = await Test.createTestingModule({
      imports: [GossipModule.forRoot({ ...FAST, interval: '80', join: '' })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    expect(interval).toHaveBeenCalledTimes(1);
    expect(interval).toHaveBeenCalledWith(80);
    expect(seeds).toHaveBeenCalledTimes(1);
    await app.close();
  });

  it('the one pass covers hooks, keys and the links between options, listing each', () => {
    const err = captured(() =>
      validateGossipOptions({
        bindAddr: ':0',
        secretKeys: ['short'],
        maxStreamSize: 2048,
        maxValueSize: 4096,
        logger: 'console' as never,
      }),
    );
    expect(err).toBeInstanceOf(GossipConfigError);
    expect(err?.message).toBe(
      'secretKeys[0] must be 32 bytes (raw, base64 or hex) (got "short"); logger must be an object (got "console"); maxStreamSize must be larger than maxKeySize + maxValueSize (got 2048)',
    );
  });

  it('keeps hooks and key bytes as given', () => {
    const key = Buffer.alloc(32, 1);
    const logger = { debug: () => {}, warn: () => {}, error: () => {} };
    const resolved = validateGossipOptions({ bindAddr: ':0', secretKeys: [key], logger });
    expect(resolved.logger).toBe(logger);
    expect(resolved.secretKeys?.[0]).toBe(key);
  });

  it('the DTO alone gives class-validator the same words (for a ValidationPipe)', () => {
    const dto = plainToInstance(GossipOptionsDto, {
      bindAddr: ':0',
      interval: '0',
      join: 'a:1,:x',
    });
    const messages = validateSync(dto).flatMap((e) => Object.values(e.constraints ?? {}));
    expect(messages).toEqual([
      'interval must be an integer from 1 to 3600000, in ms (got 0)',
      'join[1] must be host[:port] (an IP or a DNS name) (got ":x")',
    ]);
  });
});

describe('settings that shape the module, returned from a forRootAsync factory', () => {
  it.each([
    ['controller', true],
    ['isGlobal', true],
    ['metrics', false],
  ])('%s is refused, naming the setting and where it goes', async (setting, value) => {
    const compile = Test.createTestingModule({
      imports: [
        GossipModule.forRootAsync({
          useFactory: () => ({ ...FAST, [setting]: value }) as GossipModuleOptions,
        }),
      ],
    }).compile();
    await expect(compile).rejects.toThrow(GossipConfigError);
    const err = await Test.createTestingModule({
      imports: [
        GossipModule.forRootAsync({
          useFactory: () => ({ ...FAST, [setting]: value }) as GossipModuleOptions,
        }),
      ],
    })
      .compile()
      .catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `${setting} is not an option a forRootAsync factory can return: ${
        setting === 'controller'
          ? 'it mounts routes, which Nest builds before the factory runs'
          : setting === 'isGlobal'
            ? 'it shapes the module, which Nest builds before the factory runs'
            : 'the registry is chosen before the factory runs'
      }; give it beside the factory: \`GossipModule.forRootAsync({ useFactory, ${setting} })\` (got ${String(value)})`,
    );
  });

  it('the same settings beside the factory work: controller mounts the routes', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [GossipModule.forRootAsync({ useFactory: () => FAST, controller: { ui: false } })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const response = await fetch(`${await app.getUrl()}/gossip/local`);
    expect(response.status).toBe(200);
    await app.close();
  });
});

function captured(fn: () => unknown): Error | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
