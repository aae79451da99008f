#!/usr/bin/env node
/* global process, console, setTimeout, fetch, AbortController, TextDecoder */
// Nest 12 smoke test. NestJS 12 is ESM-only, which jest cannot load on Node 20,
// so this plain-node script boots the built `dist` against Nest 12 packages
// installed in `.nest12/` (see `npm run smoke:nest12`, which installs them and
// builds first). It installs nothing itself: it copies `dist` into
// `.nest12/node_modules/nestjs-gossip` so that the library's own
// `require('@nestjs/common')` resolves to Nest 12 (Node >= 20.19 can require ESM).
// Two apps join on loopback, an @OnGossipEvent handler sees the join, the
// controller answers over HTTP, and closing one makes the other see it leave.
// The main entry must not load terminus; the
// `nestjs-gossip/health` indicator reports up. Exit code 0 on success, 1 on failure.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = join(root, process.env.NEST12_PREFIX ?? '.nest12');
const deadline = Number(process.env.SMOKE_TIMEOUT_MS ?? 30_000);

function fail(message) {
  console.error(`nest12 smoke: FAIL: ${message}`);
  process.exit(1);
}

setTimeout(() => fail(`not done after ${deadline} ms`), deadline).unref();

if (!existsSync(join(prefix, 'node_modules/@nestjs/core/package.json'))) {
  fail(`no Nest packages in ${prefix}; run \`npm run smoke:nest12\``);
}
if (!existsSync(join(root, 'dist/index.js'))) fail('no dist/; run `npm run build`');

// Make the built package resolvable from the Nest 12 folder.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const target = join(prefix, 'node_modules/nestjs-gossip');
rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
cpSync(join(root, 'dist'), join(target, 'dist'), { recursive: true });
writeFileSync(
  join(target, 'package.json'),
  JSON.stringify({
    name: pkg.name,
    version: pkg.version,
    main: pkg.main,
    types: pkg.types,
    exports: pkg.exports,
  }),
);

// A package.json of its own, or Node's self-reference would resolve `nestjs-gossip`
// to the repository's package (and Nest 11) through the parent folder.
if (!existsSync(join(prefix, 'package.json'))) {
  writeFileSync(
    join(prefix, 'package.json'),
    JSON.stringify({ name: 'nest12-smoke', private: true }),
  );
}
const require = createRequire(join(prefix, 'package.json'));
const coreVersion = JSON.parse(
  readFileSync(require.resolve('@nestjs/core/package.json'), 'utf8'),
).version;
if (!coreVersion.startsWith('12.')) fail(`expected @nestjs/core 12, found ${coreVersion}`);

const { Module, Injectable } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { GossipModule, GossipService, OnGossipEvent } = require('nestjs-gossip');
// The main entry must not load the optional peers.
const loaded = Object.keys(require.cache).filter((k) =>
  /@nestjs[\\/]terminus|nestjs-prometheus/.test(k),
);
if (loaded.length > 0) fail(`the main entry loaded ${loaded[0]}`);
const { TerminusModule, HealthCheckService } = require('@nestjs/terminus');
const { GossipHealthIndicator } = require('nestjs-gossip/health');
// The library must have loaded the same (Nest 12) copy.
const libCommon = createRequire(require.resolve('nestjs-gossip'))('@nestjs/common');
if (libCommon.Module !== Module) fail('nestjs-gossip resolved a different @nestjs/common');

class Recorder {
  constructor() {
    this.events = [];
  }
  onMembership(event) {
    this.events.push(event);
  }
}
Injectable()(Recorder);
const descriptor = Object.getOwnPropertyDescriptor(Recorder.prototype, 'onMembership');
OnGossipEvent('join')(Recorder.prototype, 'onMembership', descriptor);
OnGossipEvent('leave')(Recorder.prototype, 'onMembership', descriptor);

function appModule(options) {
  class AppModule {}
  Module({
    imports: [
      GossipModule.forRoot({ bindAddr: '127.0.0.1:0', interval: 50, controller: true, ...options }),
      TerminusModule,
    ],
    providers: [Recorder, GossipHealthIndicator],
  })(AppModule);
  return AppModule;
}

async function start(options) {
  const app = await NestFactory.create(appModule(options), { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  return {
    app,
    url: await app.getUrl(),
    gossip: app.get(GossipService),
    recorder: app.get(Recorder),
  };
}

async function waitFor(what, condition) {
  const until = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > until) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const a = await start({ nodeId: 'nest12-a' });
const b = await start({ nodeId: 'nest12-b', join: [a.gossip.localNode().addr] });
try {
  await waitFor('a to see b', () =>
    a.recorder.events.some((e) => e.type === 'join' && e.nodeId === 'nest12-b'),
  );
  await waitFor('b to see a', () => b.gossip.livePeers().some((n) => n.id === 'nest12-a'));
  const res = await fetch(`${a.url.replace('[::1]', '127.0.0.1')}/gossip/nodes`);
  const ids = (await res.json()).map((n) => n.id).sort();
  if (res.status !== 200 || ids.join() !== 'nest12-a,nest12-b')
    fail(`GET /gossip/nodes: ${res.status} ${ids}`);
  // The cluster page and the first event of its stream (then hang up).
  const page = await fetch(`${a.url.replace('[::1]', '127.0.0.1')}/gossip/ui`);
  if (page.status !== 200 || !(await page.text()).includes('<title>Gossip cluster</title>'))
    fail(`GET /gossip/ui: ${page.status}`);
  const stream = new AbortController();
  const events = await fetch(`${a.url.replace('[::1]', '127.0.0.1')}/gossip/events`, {
    signal: stream.signal,
  });
  const reader = events.body.getReader();
  let first = '';
  while (!first.includes('\n\n', 1)) {
    const { value, done } = await reader.read();
    if (done) break;
    first += new TextDecoder().decode(value);
  }
  stream.abort();
  if (!/event: snapshot/.test(first)) fail(`GET /gossip/events: ${first.slice(0, 200)}`);
  const indicator = a.app.get(GossipHealthIndicator);
  const health = await a.app
    .get(HealthCheckService)
    .check([() => indicator.isHealthy('gossip', { minMembers: 2 })]);
  if (health.status !== 'ok' || health.info.gossip.members !== 2)
    fail(`health: ${JSON.stringify(health)}`);
  await b.app.close();
  await waitFor('a to see b leave', () =>
    a.recorder.events.some((e) => e.type === 'leave' && e.nodeId === 'nest12-b'),
  );
  await a.app.close();
} catch (err) {
  fail(err?.stack ?? String(err));
}
console.log(
  `nest12 smoke: OK (@nestjs/core ${coreVersion}, node ${process.version}): two nodes joined, handler saw join and leave, health up, cluster page and events served`,
);
process.exit(0);
