#!/usr/bin/env node
/* global process, console, setTimeout, fetch, AbortController, TextDecoder */
// Nest 12 smoke test. NestJS 12 is ESM-only, which jest cannot load on Node 20,
// so this plain-node script runs a Nest 12 ES-module application
// (`scripts/nest12-app.mjs`) against the package as npm would install it:
// `npm pack`, unpacked into `.nest12/node_modules/nestjs-gossip`, next to the
// Nest 12 packages that `npm run smoke:nest12` installs there (it builds first).
// Two processes: a seed, and a node joining it in the background, configured
// through environment strings. The seed's HTTP API and terminus health must
// show both, its cluster page (/gossip/ui) and event stream (/gossip/events)
// must answer, its @OnGossipEvent handler and members$ must see the join; on
// SIGTERM the second node logs its leave and exits 0, and the seed sees it
// leave. Exit code 0 on success, 1 on failure.
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = join(root, process.env.NEST12_PREFIX ?? '.nest12');
const deadline = Number(process.env.SMOKE_TIMEOUT_MS ?? 60_000);
const children = [];

function fail(message) {
  console.error(`nest12 smoke: FAIL: ${message}`);
  for (const child of children) {
    if (child.exitCode === null) child.kill('SIGKILL');
    console.error(`--- output of ${child.name}:\n${child.output}`);
  }
  process.exit(1);
}

setTimeout(() => fail(`not done after ${deadline} ms`), deadline).unref();

if (!existsSync(join(prefix, 'node_modules/@nestjs/core/package.json'))) {
  fail(`no Nest packages in ${prefix}; run \`npm run smoke:nest12\``);
}
if (!existsSync(join(root, 'dist/index.js'))) fail('no dist/; run `npm run build`');
const coreVersion = JSON.parse(
  readFileSync(join(prefix, 'node_modules/@nestjs/core/package.json'), 'utf8'),
).version;
if (!coreVersion.startsWith('12.')) fail(`expected @nestjs/core 12, found ${coreVersion}`);

// Install the package the way a user gets it: from the tarball npm pack makes.
const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', prefix], {
    cwd: root,
    encoding: 'utf8',
  }),
);
const tarball = join(prefix, packed.filename);
const target = join(prefix, 'node_modules/nestjs-gossip');
const unpack = join(prefix, 'unpack');
rmSync(target, { recursive: true, force: true });
rmSync(unpack, { recursive: true, force: true });
mkdirSync(unpack);
execFileSync('tar', ['-xzf', tarball, '-C', unpack]);
execFileSync('mv', [join(unpack, 'package'), target]);
rmSync(unpack, { recursive: true, force: true });
rmSync(tarball);
// A package.json of its own, or Node's self-reference would resolve `nestjs-gossip`
// to the repository's package (and Nest 11) through the parent folder.
if (!existsSync(join(prefix, 'package.json'))) {
  writeFileSync(
    join(prefix, 'package.json'),
    JSON.stringify({ name: 'nest12-smoke', private: true }),
  );
}
copyFileSync(join(root, 'scripts/nest12-app.mjs'), join(prefix, 'app.mjs'));

/** Starts the app under plain node; resolves once it printed READY. */
function start(name, env) {
  const child = spawn(process.execPath, [join(prefix, 'app.mjs')], {
    cwd: prefix,
    env: { ...process.env, GOSSIP_NODE_ID: name, GOSSIP_BIND: '127.0.0.1:0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.name = name;
  child.output = '';
  children.push(child);
  return new Promise((resolve) => {
    const onData = (chunk) => {
      child.output += chunk;
      const ready = /READY (\{.*\})/.exec(child.output);
      if (ready && !child.ready) {
        child.ready = JSON.parse(ready[1]);
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      if (!child.ready) fail(`${name} exited with ${code} before it was ready`);
    });
  });
}

async function waitFor(what, condition) {
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const getJson = async (url) => (await fetch(url)).json();

const a = await start('nest12-a', { GOSSIP_INTERVAL: '50' });
const b = await start('nest12-b', {
  GOSSIP_INTERVAL: '50',
  GOSSIP_SEEDS: a.ready.gossip,
  GOSSIP_JOIN_MODE: 'background',
});
await waitFor('a to list both nodes over HTTP', async () => {
  const ids = (await getJson(`${a.ready.http}/gossip/nodes`)).map((n) => n.id).sort();
  return ids.join() === 'nest12-a,nest12-b';
});
await waitFor('a healthy with 2 members', async () => {
  const health = await getJson(`${a.ready.http}/health`);
  return health.status === 'ok' && health.info.gossip.members === 2;
});
await waitFor(
  'a to log the join and the new membership',
  () => a.output.includes('event join nest12-b') && a.output.includes('members nest12-a,nest12-b'),
);
// The cluster page and the first event of its stream (then hang up).
const page = await fetch(`${a.ready.http}/gossip/ui`);
if (page.status !== 200 || !(await page.text()).includes('<title>Gossip cluster</title>'))
  fail(`GET /gossip/ui: ${page.status}`);
const stream = new AbortController();
const events = await fetch(`${a.ready.http}/gossip/events`, { signal: stream.signal });
const reader = events.body.getReader();
let first = '';
while (!first.includes('\n\n', 1)) {
  const { value, done } = await reader.read();
  if (done) break;
  first += new TextDecoder().decode(value);
}
stream.abort();
if (!/event: snapshot/.test(first)) fail(`GET /gossip/events: ${first.slice(0, 200)}`);

/** Nest's shutdown hooks run, then re-raise the signal: a clean stop ends by SIGTERM (or code 0). */
async function stop(child) {
  child.kill('SIGTERM');
  const [code, signal] = await new Promise((resolve) =>
    child.on('exit', (...result) => resolve(result)),
  );
  if (code !== 0 && signal !== 'SIGTERM')
    fail(`${child.name} ended with ${code ?? signal} on SIGTERM`);
}

await stop(b);
for (const line of ['nest12-b leaving the cluster', 'node nest12-b left: a peer acknowledged']) {
  if (!b.output.includes(line)) fail(`nest12-b did not log "${line}"`);
}
await waitFor('a to see b leave', async () => {
  const nodes = await getJson(`${a.ready.http}/gossip/nodes`);
  return (
    a.output.includes('event leave nest12-b') && nodes.some((n) => n.id === 'nest12-b' && n.left)
  );
});
await stop(a);
if (!a.output.includes('node nest12-a closed its gossip sockets')) fail('nest12-a did not close');

console.log(
  `nest12 smoke: OK (@nestjs/core ${coreVersion}, node ${process.version}): an ES-module app from the packed tarball, ` +
    'two processes joined (one in the background, options from env strings), HTTP and health saw both, ' +
    'cluster page and events served, the handler and members$ saw the join, SIGTERM left cleanly',
);
process.exit(0);
