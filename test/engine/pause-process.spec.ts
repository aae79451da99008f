import { NodeProcess } from '../support/node-process';
import { sleep, waitFor } from '../support/wait';

jest.setTimeout(90_000);

/**
 * A process stopped for 4 s (SIGSTOP: a suspended VM, a long GC), then
 * resumed, handles its queued datagrams and its overdue timers in whatever
 * order Node gives it. A peer that crashes 300 ms after the resume must be
 * noticed in about the usual detection time, not after as long again as
 * the pause (the lateness guard must never put evidence in the future).
 */
describe('a real process paused with SIGSTOP', () => {
  const nodes: NodeProcess[] = [];
  afterAll(() => Promise.all(nodes.map((n) => n.stop())));

  it('notices a crash right after it resumes', async () => {
    nodes.push(new NodeProcess('p0', '127.0.0.1:0', '-', 100));
    await waitFor(() => nodes[0].addr !== undefined, 'the seed to start', 30_000);
    for (let i = 1; i < 5; i++)
      nodes.push(new NodeProcess(`p${i}`, '127.0.0.1:0', nodes[0].addr!, 100));
    const ids = nodes.map((n) => n.id);
    await waitFor(
      () => nodes.every((n) => ids.every((id) => n.status?.live.includes(id))),
      'all five to see each other',
      30_000,
    );
    await sleep(3000); // links learn they are clean

    const [paused, victim] = [nodes[2], nodes[4]];
    paused.signal('SIGSTOP');
    await sleep(4000);
    paused.signal('SIGCONT');
    await sleep(300);
    victim.signal('SIGKILL');
    const killedAt = paused.reports;

    await waitFor(
      () => paused.unreachableSince.has(victim.id),
      'the resumed node to notice',
      10_000,
    );
    // Counted in the paused process's own 50 ms status ticks, not wall time: a busy
    // machine slows both alike. Evidence put in the future would cost the whole pause (80).
    const took = paused.unreachableSince.get(victim.id)! - killedAt;
    console.log(
      `paused 4 s, resumed, peer killed 300 ms later: noticed after ${took} status reports (50 ms each)`,
    );
    expect(took).toBeLessThan(40);
    // Its own pause made it accuse nobody who is alive.
    const survivors = ids.filter((id) => id !== victim.id && id !== paused.id);
    await sleep(1000);
    for (const id of survivors) expect(paused.status?.live).toContain(id);
  });
});
