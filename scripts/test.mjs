/* global process, console */
// `npm test`: the whole jest suite, in two phases (test/README.md).
//   1. unit, simulation and tooling on two workers: their specs run on a
//      virtual clock or none (tools run to completion), so sharing the two
//      cores changes no result, only the time;
//   2. integration and system in band: real sockets, processes and timings,
//      which must not compete with another spec for the CPU.
// Arguments go to both runs (a spec path or pattern, `--json`...); the second
// phase runs even when the first failed, so one run shows every failure.
// `--outputFile F` gets both phases' JSON results merged into F.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const jest = createRequire(import.meta.url).resolve('jest/bin/jest');
const PHASES = [
  {
    name: 'unit, simulation and tooling',
    args: ['--selectProjects', 'unit', 'simulation', 'tooling', '--maxWorkers=2'],
  },
  {
    name: 'integration and system',
    args: ['--selectProjects', 'integration', 'system', '--runInBand'],
  },
];

const { args, outputFile } = takeOutputFile(process.argv.slice(2));
const parts = [];
let failed = false;
for (const [i, phase] of PHASES.entries()) {
  const part = outputFile && `${outputFile}.phase${i + 1}`;
  console.log(`\nnpm test, phase ${i + 1} of ${PHASES.length}: ${phase.name}\n`);
  const run = spawnSync(
    process.execPath,
    [jest, ...phase.args, '--passWithNoTests', ...args, ...(part ? [`--outputFile=${part}`] : [])],
    { stdio: 'inherit' },
  );
  if (run.status !== 0) failed = true;
  if (part) parts.push(part);
}
if (outputFile) writeFileSync(outputFile, JSON.stringify(merge(parts)));
process.exit(failed ? 1 : 0);

/** Splits `--outputFile F` or `--outputFile=F` off the arguments. */
function takeOutputFile(argv) {
  const args = [];
  let outputFile;
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = argv[i].split(/=(.*)/s);
    if (flag !== '--outputFile') args.push(argv[i]);
    else outputFile = value ?? argv[++i];
  }
  return { args, outputFile };
}

/** One jest JSON result from each phase's: counts added, test results in run order. */
function merge(files) {
  const results = files.map((file) => {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      // A phase that crashed before writing its result: its failure must still show.
      return { success: false, numRuntimeErrorTestSuites: 1, testResults: [], error: String(err) };
    } finally {
      rmSync(file, { force: true });
    }
  });
  const merged = { ...results[0], testResults: results.flatMap((r) => r.testResults ?? []) };
  const counts = new Set(results.flatMap((r) => Object.keys(r)).filter((k) => k.startsWith('num')));
  for (const key of counts) merged[key] = results.reduce((sum, r) => sum + (r[key] ?? 0), 0);
  merged.success = results.every((r) => r.success);
  merged.startTime = Math.min(...results.map((r) => r.startTime ?? Infinity));
  return merged;
}
