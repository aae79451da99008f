const { readdirSync } = require('node:fs');
const { join } = require('node:path');

/**
 * The suite in five projects, by what a spec needs (see test/README.md):
 *   unit         no sockets, no processes: pure code and the simulator (the edit loop, < 60 s)
 *   integration  real nodes on loopback sockets, in this process
 *   simulation   simulations of 100 nodes or more: long, but on a virtual clock
 *   tooling      outside tools run to completion: npm pack and install, tsc, promtool
 *   system       child processes that run for a time, a browser, Prometheus, dnsmasq, netns
 * `npm test` (scripts/test.mjs) runs unit, simulation and tooling on two workers
 * (nothing in them times anything, so sharing the cores changes no result), then
 * integration and system in band (their timings must not compete for the CPU).
 * Every spec file is listed in exactly one project; loading this file fails otherwise,
 * so a new spec cannot be silently skipped.
 */
const SPECS = {
  unit: [
    'test/engine/leadership.spec.ts',
    'test/engine/ownership-index.spec.ts',
    'test/engine/views.spec.ts',
    'test/sim/duplicate-id.spec.ts',
    'test/sim/leadership.spec.ts',
    'test/sim/messages.spec.ts',
    'test/sim/reachable-evidence.spec.ts',
    'test/engine/cluster-state.spec.ts',
    'test/engine/codec.spec.ts',
    'test/engine/probe-codec.spec.ts',
    'test/engine/messages-codec.spec.ts',
    'test/engine/messages-parts.spec.ts',
    'test/engine/monitoring-ring.spec.ts',
    'test/engine/node-record.spec.ts',
    'test/engine/options.spec.ts',
    'test/engine/ownership.spec.ts',
    'test/engine/probe-detector.spec.ts',
    'test/engine/prober.spec.ts',
    'test/engine/round-timers.spec.ts',
    'test/engine/introductions.spec.ts',
    'test/engine/pick-random.spec.ts',
    'test/engine/protocol.spec.ts',
    'test/nest/decorator-types.spec.ts',
    'test/nest/socket-io-pending.spec.ts',
    'test/ops/grafana-dashboard.spec.ts',
    'test/ops/kubernetes-manifests.spec.ts',
    'test/security/decoder-fuzz.spec.ts',
    'test/security/shape-guard.spec.ts',
    'test/sim/catch-up.spec.ts',
    'test/sim/delete-storm.spec.ts',
    'test/sim/entry-ttl.spec.ts',
    'test/sim/join-exchange.spec.ts',
    'test/sim/lasting-news.spec.ts',
    'test/sim/liveness.spec.ts',
    'test/sim/partition.spec.ts',
    'test/sim/pause.spec.ts',
    'test/sim/property.spec.ts',
    'test/sim/restart.spec.ts',
    'test/sim/simulator.spec.ts',
  ],
  integration: [
    'test/engine/identity-and-evidence.spec.ts',
    'test/engine/local-events.spec.ts',
    'test/nest/id-conflict.spec.ts',
    'test/nest/leadership.spec.ts',
    'test/engine/cluster.spec.ts',
    'test/engine/messages-cluster.spec.ts',
    'test/engine/ownership-cluster.spec.ts',
    'test/engine/peer-errors.spec.ts',
    'test/nest/bootstrap.spec.ts',
    'test/nest/cluster.spec.ts',
    'test/nest/discovery.spec.ts',
    'test/nest/errors.spec.ts',
    'test/nest/gossip-clients.spec.ts',
    'test/nest/http.spec.ts',
    'test/nest/lifecycle.spec.ts',
    'test/nest/messages.spec.ts',
    'test/nest/module.spec.ts',
    'test/nest/options.spec.ts',
    'test/nest/sample-forwarding.spec.ts',
    'test/nest/streams.spec.ts',
    'test/nest/socket-io-adapter.spec.ts',
    'test/ops/cluster-events.spec.ts',
    'test/security/amplification.spec.ts',
    'test/security/encryption.spec.ts',
    'test/security/isolation-limits.spec.ts',
    'test/security/live-fuzz.spec.ts',
    'test/security/outbound-flood.spec.ts',
    'test/security/slowloris.spec.ts',
    'test/security/stream-budget.spec.ts',
  ],
  system: [
    'test/nest/leadership-process.spec.ts', // five Nest processes, kill -9, SIGSTOP
    'test/nest/socket-io-process.spec.ts', // three Nest processes with Socket.IO, kill -9
    'test/engine/dns-join.spec.ts', // dnsmasq
    'test/engine/pause-process.spec.ts', // node processes, SIGSTOP
    'test/nest/sample.spec.ts', // `npm start` as a process
    'test/ops/cluster-page.spec.ts', // Chromium, sample processes
    'test/ops/kubernetes-dns.spec.ts', // dnsmasq
    'test/ops/prometheus.spec.ts', // Prometheus, sample processes
    'test/security/multi-host.spec.ts', // network namespaces
  ],
  tooling: [
    'test/nest/packaging.spec.ts', // npm pack, tsc, npm install
    'test/ops/alert-rules.spec.ts', // promtool
  ],
  simulation: [
    'test/sim/crash.spec.ts', // 100 simulated nodes
    'test/sim/lossy-network.spec.ts', // 100 simulated nodes
    'test/sim/ownership.spec.ts', // 100 simulated nodes
    'test/sim/scale.spec.ts', // 1,000 simulated nodes (in a process of its own)
    'test/sim/join-storm.spec.ts', // 100 simulated nodes joining at once
  ],
};

const listed = Object.values(SPECS).flat();
const onDisk = readdirSync(join(__dirname, 'test'), { recursive: true })
  .filter((file) => String(file).endsWith('.spec.ts'))
  .map((file) => `test/${String(file).split('\\').join('/')}`);
const unlisted = onDisk.filter((file) => !listed.includes(file));
const twice = listed.filter((file, i) => listed.indexOf(file) !== i);
const missing = listed.filter((file) => !onDisk.includes(file));
if (unlisted.length || twice.length || missing.length) {
  throw new Error(
    'jest.config.js: every spec belongs to exactly one project ' +
      JSON.stringify({ unlisted, twice, missing }),
  );
}

/**
 * Specs whose assertions are compile errors (`@ts-expect-error`): ts-jest type-checks
 * these. The others are only transpiled, which saves seconds per file;
 * `npm run typecheck` (part of `npm run lint`) checks them all.
 */
const TYPE_CHECKED = ['test/nest/decorator-types.spec.ts'];

/** @param {string} tsconfig */
const project = (name, files, tsconfig) => ({
  rootDir: '.',
  displayName: name,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: files.map((file) => `<rootDir>/${file}`),
});

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 30000,
  testSequencer: '<rootDir>/jest.sequencer.js',
  projects: Object.entries(SPECS).flatMap(([name, files]) => {
    const checked = files.filter((file) => TYPE_CHECKED.includes(file));
    const transpiled = files.filter((file) => !TYPE_CHECKED.includes(file));
    return [
      project(name, transpiled, 'tsconfig.jest.json'),
      ...(checked.length ? [project(name, checked, 'tsconfig.json')] : []),
    ];
  }),
};
