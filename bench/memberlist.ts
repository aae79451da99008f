/**
 * Builds and runs the reference benchmark for hashicorp/memberlist
 * (../shared/anchors/memberlist-bench, Go) so `npm run bench -- --memberlist`
 * can put both systems side by side from one run on one machine; builds the
 * one-node program (../shared/anchors/memberlist-node) for `--processes`. Their source
 * is never copied here: it is compiled at run time, offline, in GOPATH mode
 * against Debian's golang-github-hashicorp-memberlist-dev, into the
 * git-ignored .bench-build/.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const DEBIAN_GOPATH = '/usr/share/gocode';
const MEMBERLIST_PKG = `${DEBIAN_GOPATH}/src/github.com/hashicorp/memberlist`;

/** What memberlist-bench prints as its last line (the fields we use). */
export interface MemberlistResult {
  system: string;
  n: number;
  preset: string;
  settings: Record<string, string>;
  join_calls_ms: number;
  join_converged_ms: number; // -1 = timed out
  join_eventual_ms?: number;
  steady_window_s: number;
  udp_bytes_per_node_sec: number;
  tcp_bytes_per_node_sec: number;
  udp_pkts_per_node_sec: number;
  cpu_percent_of_one_core: number;
  rss_mib: number;
  steady_false_suspect_logs: number;
  steady_false_dead_logs: number;
  update_all_ms: number[];
  update_max_ms: number;
  fail_suspect_or_dead: Spread;
  fail_dead: Spread;
  leave: Spread[];
  total_s: number;
  [key: string]: unknown;
}

interface Spread {
  count: number;
  want: number;
  first_ms: number;
  p50_ms: number;
  all_ms: number; // -1 = not every observer in time
}

/** The Go reference programs in ../shared/anchors, each built from its own directory. */
export type GoAnchor = 'memberlist-bench' | 'memberlist-node';

/** The exact command that installs what the Go reference programs need (Debian). */
export const GO_SETUP_COMMAND =
  'apt-get install -y golang-go golang-github-hashicorp-memberlist-dev';

/** Where an anchor's source is: `$MEMBERLIST_BENCH_SRC` / `$MEMBERLIST_NODE_SRC`, or ../shared/anchors. */
export function anchorDir(anchor: GoAnchor, file = 'main.go'): string {
  const candidates = [
    process.env[`${anchor.replace('-', '_').toUpperCase()}_SRC`],
    resolve(`../shared/anchors/${anchor}`),
    `/work/shared/anchors/${anchor}`,
  ];
  for (const dir of candidates) if (dir && existsSync(`${dir}/${file}`)) return dir;
  return '';
}

/** Why `anchor` cannot be built here, or undefined when it can. */
export function memberlistUnavailable(anchor: GoAnchor = 'memberlist-bench'): string | undefined {
  if (spawnSync('go', ['version']).status !== 0) return 'Go toolchain not found';
  if (!existsSync(MEMBERLIST_PKG)) return `${MEMBERLIST_PKG} not found`;
  if (!anchorDir(anchor)) {
    const env = `${anchor.replace('-', '_').toUpperCase()}_SRC`;
    return `${anchor} source not found (set ${env})`;
  }
  return undefined;
}

/** Compiles `anchor` into .bench-build/ unless the binary is newer than its source. */
export function buildAnchor(anchor: GoAnchor): string {
  const src = anchorDir(anchor);
  const binary = resolve(`.bench-build/${anchor}`);
  if (existsSync(binary) && statSync(binary).mtimeMs > statSync(`${src}/main.go`).mtimeMs) {
    return binary;
  }
  mkdirSync(resolve('.bench-build'), { recursive: true });
  const built = spawnSync('go', ['build', '-o', binary, '.'], {
    cwd: src,
    stdio: 'inherit',
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH: `${DEBIAN_GOPATH}:${homedir()}/go`,
      GOCACHE: resolve('.bench-build/go-cache'),
      GOFLAGS: '',
    },
  });
  if (built.status !== 0) throw new Error(`go build of ${anchor} failed in ${src}`);
  return binary;
}

/** Compiles memberlist-bench unless the binary is newer than its source. */
export function buildMemberlistBench(): string {
  return buildAnchor('memberlist-bench');
}

/**
 * Runs memberlist-bench for `n` nodes (its own process, so never at the same
 * time as ours), echoing its progress lines, and returns its JSON result.
 */
export function runMemberlistBench(
  binary: string,
  n: number,
  preset: string,
  basePort: number,
): Promise<MemberlistResult> {
  const args = ['-n', String(n), '-preset', preset, '-base-port', String(basePort)];
  console.log(`memberlist-bench ${args.join(' ')}`);
  return new Promise((done, fail) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let result: MemberlistResult | undefined;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('{')) {
        try {
          result = JSON.parse(line) as MemberlistResult;
          return;
        } catch {
          // not the result line; echo it
        }
      }
      console.log(`  | ${line}`);
    });
    // Its own -max-run bounds it at 15 min; this is the backstop.
    const timer = setTimeout(() => child.kill('SIGKILL'), 17 * 60_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (result) done(result);
      else fail(new Error(`memberlist-bench exited (${signal ?? code}) without a result line`));
    });
  });
}
