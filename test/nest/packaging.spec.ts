import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * What a user installs: the tarball `npm pack` makes, compiled against by a
 * tiny Nest app under every `moduleResolution` a Nest app uses, and the
 * engine loaded in a project that has no @nestjs package at all.
 */
const run = promisify(execFile);
const root = join(__dirname, '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

/** A Nest app as `nest new` would hold it, using the five entry points and env-typed options. */
const NEST_APP = `
import 'reflect-metadata';
import { type INestApplication, Injectable, Module } from '@nestjs/common';
import {
  GossipDiscoveryService,
  GossipModule,
  GossipService,
  OnGossipEvent,
  type GossipEventOf,
} from 'nestjs-gossip';
import { GossipHealthIndicator } from 'nestjs-gossip/health';
import { Gossip, type GossipOptions } from 'nestjs-gossip/engine';
import { provideGossipClients, type GossipClientsOptions } from 'nestjs-gossip/microservices';
import { createGossipAdapter, GossipIoAdapter } from 'nestjs-gossip/socket.io';
import { Server } from 'socket.io';

@Injectable()
export class Registry {
  constructor(
    readonly gossip: GossipService,
    readonly discovery: GossipDiscoveryService,
    readonly health: GossipHealthIndicator,
  ) {}

  @OnGossipEvent('upsert-key', { key: 'http' })
  onAddress(event: GossipEventOf<'upsert-key'>): void {
    console.log(event.nodeId, event.value, this.discovery.members().length);
  }

  // @ts-expect-error a join handler cannot take an upsert-key event
  @OnGossipEvent('join')
  wrong(event: GossipEventOf<'upsert-key'>): void {
    console.log(event.key);
  }
}

@Module({
  imports: [
    GossipModule.forRootAsync({
      useFactory: () => ({
        bindAddr: process.env.GOSSIP_BIND ?? ':7946',
        join: process.env.GOSSIP_SEEDS ?? '',
        interval: process.env.GOSSIP_INTERVAL ?? '100',
        maxNodes: process.env.GOSSIP_MAX_NODES ?? 500,
        joinOnBootstrap: 'background' as const,
      }),
    }),
  ],
  providers: [Registry, GossipHealthIndicator, ...provideGossipClients({ addressKey: 'rpc' })],
})
export class AppModule {}

export const clientsOptions: GossipClientsOptions = { timeout: 1000 };

export const engineOptions: GossipOptions = { bindAddr: ':0' };
export const create: typeof Gossip.create = Gossip.create;

export function useGossipSockets(app: INestApplication): void {
  app.useWebSocketAdapter(new GossipIoAdapter(app, { channel: 'chat', requestsTimeout: 2000 }));
}
export function plainServer(gossip: Gossip): Server {
  return new Server({ adapter: createGossipAdapter(gossip) });
}
`;

/** The engine alone: no @nestjs, rxjs or class-validator installed. */
const ENGINE_APP = `
import { Gossip, type GossipEvent } from 'nestjs-gossip/engine';

export async function main(): Promise<void> {
  const seen: GossipEvent[] = [];
  const gossip = await Gossip.create({ bindAddr: '127.0.0.1:0' });
  gossip.subscribe((e) => seen.push(e));
  console.log(gossip.status, seen.length);
  await gossip.close();
}
`;

const BASE = {
  strict: true,
  noEmit: true,
  target: 'ES2022',
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  skipLibCheck: true,
  types: ['node'],
};

/** The settings Nest apps use: `nest new` (node10), Node's own modes, and bundlers. */
const SETTINGS: Record<string, { type?: 'module'; compilerOptions: object }> = {
  node10: {
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' },
  },
  node16: { compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
  nodenext: { compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } },
  'nodenext-esm': {
    type: 'module',
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
  },
  bundler: { compilerOptions: { module: 'esnext', moduleResolution: 'bundler' } },
};

function link(project: string, names: string[]): void {
  for (const name of names) {
    const target = join(project, 'node_modules', name);
    mkdirSync(join(target, '..'), { recursive: true });
    symlinkSync(join(root, 'node_modules', name), target, 'dir');
  }
}

/** What `npm install <tarball>` puts in node_modules (the tarball holds one folder, `package/`). */
async function install(tarball: string, project: string): Promise<void> {
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  const unpack = join(project, 'unpack');
  mkdirSync(unpack);
  await run('tar', ['-xzf', tarball, '-C', unpack]);
  renameSync(join(unpack, 'package'), join(project, 'node_modules/nestjs-gossip'));
}

/** Files under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((file) => statSync(join(dir, file)).isFile());
}

/**
 * Whether `dist` is what `npm run build` makes of the sources now: one `.js`
 * per source file and nothing else, every output written after the newest
 * input. CI builds right before the tests, so the test packs that build
 * instead of compiling the library a second time; anywhere else it builds.
 */
function distIsFresh(): boolean {
  const dist = join(root, 'dist');
  if (!existsSync(dist)) return false;
  const sources = filesUnder(join(root, 'lib')).filter((f) => f.endsWith('.ts'));
  const outputs = filesUnder(dist);
  const compiled = outputs.filter((f) => f.endsWith('.js'));
  const expected = sources.map((f) => f.replace(/\.ts$/, '.js'));
  const stem = (f: string) => f.replace(/(\.d)?\.(ts|js)$/, '');
  const known = new Set(sources.map(stem));
  if (compiled.length !== expected.length || !outputs.every((f) => known.has(stem(f))))
    return false;
  const inputs = [
    ...sources.map((f) => join(root, 'lib', f)),
    ...['package.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) => join(root, f)),
  ];
  const newestInput = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
  const oldestOutput = Math.min(...outputs.map((f) => statSync(join(dist, f)).mtimeMs));
  return newestInput < oldestOutput;
}

async function typecheck(dir: string): Promise<{ ok: boolean; output: string }> {
  try {
    await run(process.execPath, [tsc, '-p', dir], { cwd: dir });
    return { ok: true, output: '' };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}

describe('the packed tarball', () => {
  let work: string;
  let tarball: string;
  let files: string[];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'gossip-pack-'));
    const pkg = join(work, 'pkg');
    mkdirSync(pkg);
    for (const file of ['package.json', 'README.md', 'LICENSE']) {
      cpSync(join(root, file), join(pkg, file));
    }
    // Pack a build of the sources as they are now, never a stale dist.
    if (distIsFresh()) cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
    else
      await run(process.execPath, [
        tsc,
        '-p',
        join(root, 'tsconfig.build.json'),
        '--outDir',
        join(pkg, 'dist'),
      ]);
    const { stdout } = await run(
      'npm',
      ['pack', pkg, '--json', '--ignore-scripts', '--pack-destination', work],
      {
        cwd: work,
      },
    );
    const [packed] = JSON.parse(stdout) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarball = join(work, packed.filename);
    files = packed.files.map((f) => f.path);
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the licence, the five entry points, no source maps and no simulator', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/engine/index.d.ts',
        'dist/nest/health/index.d.ts',
        'dist/nest/microservices/index.d.ts',
        'dist/nest/socket-io/index.d.ts',
      ]),
    );
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/sim/'))).toEqual([]);
  });

  it('type-checks a Nest app under node10, node16, nodenext (CJS and ESM) and bundler', async () => {
    const results = await Promise.all(
      Object.entries(SETTINGS).map(async ([name, setting]) => {
        const dir = join(work, `app-${name}`);
        mkdirSync(join(dir, 'src'), { recursive: true });
        await install(tarball, dir);
        link(dir, [
          '@nestjs/common',
          '@nestjs/core',
          '@nestjs/terminus',
          '@nestjs/microservices',
          '@nestjs/platform-socket.io',
          '@nestjs/websockets',
          'socket.io',
          'socket.io-adapter',
          'reflect-metadata',
          'rxjs',
          'prom-client',
          '@types/node',
        ]);
        writeFileSync(join(dir, 'src/app.ts'), NEST_APP);
        writeFileSync(
          join(dir, 'package.json'),
          JSON.stringify({ name: `app-${name}`, private: true, type: setting.type ?? 'commonjs' }),
        );
        writeFileSync(
          join(dir, 'tsconfig.json'),
          JSON.stringify({
            compilerOptions: { ...BASE, ...setting.compilerOptions },
            include: ['src'],
          }),
        );
        return { name, ...(await typecheck(dir)) };
      }),
    );
    for (const result of results) {
      expect(`${result.name}: ${result.ok ? 'ok' : result.output}`).toBe(`${result.name}: ok`);
    }

    // At run time the main entry loads Nest but never the optional peers (terminus, prometheus,
    // schedule, socket.io) nor our microservices and socket.io entries (@nestjs/core itself
    // loads @nestjs/microservices and @nestjs/websockets when installed).
    const dir = join(work, 'app-node10');
    link(dir, ['@msgpack/msgpack', 'class-validator', 'class-transformer']);
    const { stdout } = await run(
      process.execPath,
      [
        '-e',
        `require('reflect-metadata');
         const { GossipModule } = require('nestjs-gossip');
         const optional = Object.keys(require.cache).filter((k) => /terminus|nestjs-prometheus|@nestjs\\/schedule|socket\\.io|nestjs-gossip\\/dist\\/nest\\/(microservices|socket-io)/.test(k));
         console.log(typeof GossipModule.forRoot, optional.length);`,
      ],
      { cwd: dir },
    );
    expect(stdout.trim()).toBe('function 0');

    // The socket.io entry loads, with its peers.
    const { stdout: sockets } = await run(
      process.execPath,
      [
        '-e',
        `require('reflect-metadata');
         const { GossipIoAdapter, createGossipAdapter } = require('nestjs-gossip/socket.io');
         console.log(typeof GossipIoAdapter, typeof createGossipAdapter);`,
      ],
      { cwd: dir },
    );
    expect(sockets.trim()).toBe('function function');
  }, 180_000); // five tsc runs at once: minutes on a loaded machine

  it("installs with the README's one command, from the registry, and the module boots", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Package'));
    const command = /^ {4}(npm install nestjs-gossip .*)$/m.exec(section)?.[1] ?? '';
    const [npm, verb, ...names] = command.split(/\s+/);
    expect([npm, verb, names[0]]).toEqual(['npm', 'install', 'nestjs-gossip']);
    // Every peer the main entry needs is named: the command works where peers are not auto-installed.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const required = Object.keys(pkg.peerDependencies).filter(
      (name) => !pkg.peerDependenciesMeta[name]?.optional,
    );
    expect(names.slice(1).sort()).toEqual([...required].sort());

    const dir = join(work, 'first-run');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'first-run', private: true }));
    const args = [verb, tarball, ...names.slice(1), '--no-audit', '--no-fund', '--loglevel=error'];
    await run(npm, args, { cwd: dir });
    writeFileSync(
      join(dir, 'main.js'),
      `require('reflect-metadata');
       const { Module } = require('@nestjs/common');
       const { NestFactory } = require('@nestjs/core');
       const { GossipModule, GossipService } = require('nestjs-gossip');
       class AppModule {}
       Module({ imports: [GossipModule.forRoot({ bindAddr: '127.0.0.1:0', interval: '100' })] })(AppModule);
       (async () => {
         const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
         console.log(app.get(GossipService).status);
         await app.close();
       })();`,
    );
    const { stdout } = await run(process.execPath, ['main.js'], { cwd: dir });
    expect(stdout.trim()).toBe('joined');
  }, 300_000);

  it('runs and type-checks the engine in a project without any @nestjs package', async () => {
    const dir = join(work, 'engine-only');
    mkdirSync(join(dir, 'src'), { recursive: true });
    await install(tarball, dir);
    link(dir, ['@msgpack/msgpack', 'prom-client', '@types/node']);
    writeFileSync(join(dir, 'src/main.ts'), ENGINE_APP);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'engine-only', private: true }),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { ...BASE, ...SETTINGS.node10.compilerOptions },
        include: ['src'],
      }),
    );
    expect(await typecheck(dir)).toEqual({ ok: true, output: '' });

    const script = `
      const { Gossip } = require('nestjs-gossip/engine');
      Gossip.create({ bindAddr: '127.0.0.1:0', watcher: { onJoin: () => {} } })
        .then(async (g) => { console.log(g.status, g.localNode().addr); await g.close(); })
        .then(() => import('nestjs-gossip/engine'))
        .then((m) => console.log('esm', typeof m.Gossip.create));`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: dir });
    expect(stdout).toMatch(/^joining 127\.0\.0\.1:\d+\nesm function\n$/);
    // The main entry is the Nest module: without @nestjs it cannot load, hence the subpath.
    await expect(
      run(process.execPath, ['-e', "require('nestjs-gossip')"], { cwd: dir }),
    ).rejects.toThrow(/Cannot find module '@nestjs\/common'/);
    expect(
      JSON.parse(readFileSync(join(dir, 'node_modules/nestjs-gossip/package.json'), 'utf8'))
        .engines,
    ).toEqual({
      node: '>=20.19',
    });
  }, 120_000); // an install and a tsc run: it may share the CPU with another spec (npm test)
});
