const Sequencer = require('@jest/test-sequencer').default;

/**
 * The specs that take longest, longest first. Jest orders a run by the
 * durations it cached from the last one, and without a cache (a fresh clone:
 * CI) by file size, which would start the 1,000-node simulation, a small
 * file, last: with two workers (scripts/test.mjs, first phase) the run would
 * then end with one worker idle while the other runs it for two minutes.
 */
const LONGEST = [
  'test/sim/scale.spec.ts',
  'test/nest/packaging.spec.ts',
  'test/sim/lossy-network.spec.ts',
  'test/sim/leadership.spec.ts',
  'test/sim/crash.spec.ts',
  'test/sim/ownership.spec.ts',
  'test/nest/decorator-types.spec.ts',
  'test/sim/join-storm.spec.ts',
];

/** Jest's order (failed first, then by duration or size), with the specs above first. */
class LongestFirst extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    const rank = (test) => {
      const path = test.path.split('\\').join('/');
      const at = LONGEST.findIndex((spec) => path.endsWith(spec));
      return at < 0 ? LONGEST.length : at;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = LongestFirst;
