import { FailureDetector } from '../../lib/engine/failure-detector';

describe('FailureDetector', () => {
  function regular(intervalMs: number, beats: number): { detector: FailureDetector; now: number } {
    const detector = new FailureDetector(0, 100, 50, 100, 2000);
    let now = 0;
    for (let i = 0; i < beats; i++) {
      now += intervalMs;
      detector.heartbeat(now);
    }
    return { detector, now };
  }

  it('phi grows with silence', () => {
    const { detector, now } = regular(100, 50);
    const values = [0, 200, 400, 600, 1000].map((silence) => detector.phi(now + silence));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
    expect(values[0]).toBeLessThan(1);
    expect(values[4]).toBeGreaterThan(8);
  });

  it('recovers as soon as heartbeats resume', () => {
    const { detector, now } = regular(100, 50);
    expect(detector.phi(now + 2000)).toBeGreaterThan(8);
    detector.heartbeat(now + 2000);
    expect(detector.phi(now + 2010)).toBeLessThan(1);
  });

  it('learns the peer interval: a slower peer gets more slack', () => {
    const fast = regular(100, 50);
    const slow = regular(400, 50);
    expect(slow.detector.phi(slow.now + 700)).toBeLessThan(fast.detector.phi(fast.now + 700));
  });

  it('does not learn gaps longer than maxInterval', () => {
    const { detector, now } = regular(100, 50);
    detector.heartbeat(now + 5000);
    expect(detector.meanInterval).toBeCloseTo(100, 5);
  });

  it('forgives time the local process did not run', () => {
    const { detector, now } = regular(100, 50);
    detector.forgive(5000);
    expect(detector.phi(now + 5050)).toBeLessThan(1);
  });
});
