import { Injectable, type INestApplication } from '@nestjs/common';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import { filter, firstValueFrom } from 'rxjs';
import {
  GossipLeadershipModule,
  GossipLeadershipService,
  GossipService,
  OnLeadership,
  RunOnLeader,
  RunOnOwner,
  type LeadershipChange,
} from '../../lib';
import { gossipApp } from './helpers';
import { waitFor } from '../support/wait';

jest.setTimeout(60_000);

interface Run {
  node: string;
  job: string;
  token: number | undefined;
}

interface Transition {
  node: string;
  transition: 'gained' | 'lost';
  token: number | undefined;
}

/** Shared by every app of the test: each run and transition names its node. */
const runs: Run[] = [];
const transitions: Transition[] = [];

@Injectable()
class ReportJob {
  constructor(
    private readonly gossip: GossipService,
    private readonly leadership: GossipLeadershipService,
  ) {}

  @Interval(100)
  @RunOnLeader('reports')
  report(): void {
    runs.push({ node: this.gossip.nodeId, job: 'report', token: this.leadership.token('reports') });
  }

  @OnLeadership('reports', 'gained')
  gained(change: LeadershipChange): void {
    transitions.push({ node: this.gossip.nodeId, transition: 'gained', token: change.token });
  }

  @OnLeadership('reports', 'lost')
  lost(change: LeadershipChange): void {
    transitions.push({ node: this.gossip.nodeId, transition: 'lost', token: change.token });
  }
}

/** Six keyed jobs: each runs on the owner of its name. */
@Injectable()
class SpreadJobs {
  constructor(private readonly gossip: GossipService) {}
  private record(job: string): void {
    runs.push({ node: this.gossip.nodeId, job, token: undefined });
  }
  @RunOnOwner() @Interval(100) alpha(): void {
    this.record('alpha');
  }
  @RunOnOwner() @Interval(100) beta(): void {
    this.record('beta');
  }
  @RunOnOwner() @Interval(100) gamma(): void {
    this.record('gamma');
  }
  @RunOnOwner() @Interval(100) delta(): void {
    this.record('delta');
  }
  @RunOnOwner() @Interval(100) epsilon(): void {
    this.record('epsilon');
  }
  @RunOnOwner('sweep') @Interval(100) zeta(): void {
    this.record('sweep');
  }
}

type App = { app: INestApplication; gossip: GossipService; leadership: GossipLeadershipService };

async function start(nodeId: string, join: string[]): Promise<App> {
  const { app, gossip } = await gossipApp(
    { nodeId, join },
    {
      imports: [ScheduleModule.forRoot(), GossipLeadershipModule.forRoot({ expectedSize: 3 })],
      providers: [ReportJob, SpreadJobs],
    },
  );
  return { app, gossip, leadership: app.get(GossipLeadershipService) };
}

/** Runs of `job` recorded after index `from`. */
function runsOf(job: string, from = 0): Run[] {
  return runs.slice(from).filter((r) => r.job === job);
}

describe('one-instance scheduled jobs on 3 apps (loopback, @nestjs/schedule)', () => {
  const apps: App[] = [];
  afterAll(async () => {
    for (const a of apps) await a.app.close().catch(() => undefined);
  });

  it('runs @RunOnLeader on one node, and another takes over when it leaves', async () => {
    apps.push(await start('node-a', []));
    const seed = apps[0].gossip.localNode().addr;
    apps.push(await start('node-b', [seed]));
    apps.push(await start('node-c', [seed]));

    // Every node names the same leader, and that leader holds the role.
    const leader = await waitFor(() => {
      const named = new Set(apps.map((a) => a.leadership.leader('reports')));
      const [only] = [...named];
      const holder = apps.find((a) => a.leadership.isLeader('reports'));
      return named.size === 1 && only !== undefined && holder?.gossip.nodeId === only
        ? only
        : undefined;
    }, 'one leader for reports');

    // Exactly one node runs the job: ten runs in a row, all on the leader.
    const from = runs.length;
    await waitFor(() => runsOf('report', from).length >= 10, 'ten runs');
    const steady = runsOf('report', from);
    expect(new Set(steady.map((r) => r.node))).toEqual(new Set([leader]));
    const firstToken = steady[0].token as number;
    expect(firstToken).toBeGreaterThan(0);
    expect(transitions.filter((t) => t.transition === 'gained').at(-1)?.node).toBe(leader);

    // leader$ starts with the current leader; changes$ with this node's hold.
    const survivor = apps.find((a) => a.gossip.nodeId !== leader) as App;
    expect(await firstValueFrom(survivor.leadership.leader$('reports'))).toBe(leader);
    expect(await firstValueFrom(survivor.leadership.changes$('reports'))).toMatchObject({
      role: 'reports',
      leader,
      leading: false,
      token: undefined,
    });
    const survivorSees = survivor.leadership.leader$('reports');
    const nextSeen = firstValueFrom(
      survivorSees.pipe(filter((id) => id !== leader && id !== undefined)),
    );

    // The leader's app shuts down (leave, then close): another node takes over.
    const leaving = apps.find((a) => a.gossip.nodeId === leader) as App;
    await leaving.app.close();
    const afterClose = runs.length;
    // It stopped leading while it shut down (leave runs before close).
    const lostAt = transitions
      .map((t) => `${t.node} ${t.transition}`)
      .lastIndexOf(`${leader} lost`);
    expect(lostAt).toBeGreaterThanOrEqual(0);
    const next = await waitFor(
      () => runsOf('report', afterClose)[0]?.node,
      'a run on another node',
    );
    expect(next).not.toBe(leader);
    await waitFor(() => runsOf('report', afterClose).length >= 10, 'ten runs after the handover');
    const handedOver = runsOf('report', afterClose);
    // One node runs it from then on, never the leaver, with a newer token.
    expect(new Set(handedOver.map((r) => r.node))).toEqual(new Set([next]));
    expect(handedOver.every((r) => (r.token as number) > firstToken)).toBe(true);
    // The successor gained the role after the leaver lost it.
    const gainedAt = transitions.findIndex(
      (t) => t.node === next && t.transition === 'gained' && t.token === handedOver[0].token,
    );
    expect(gainedAt).toBeGreaterThan(lostAt);
    expect(await nextSeen).toBe(next);
  });

  it('spreads @RunOnOwner jobs: each job on one node, the jobs on more than one', async () => {
    const live = apps.filter((a) => a.gossip.status === 'joined');
    const jobs = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'sweep'];
    const roleOf = (job: string) => (job === 'sweep' ? 'sweep' : `SpreadJobs.${job}`);
    // Wait until every job has an owner that every node agrees on.
    await waitFor(
      () =>
        jobs.every((job) => {
          const named = new Set(live.map((a) => a.leadership.leader(roleOf(job))));
          return named.size === 1 && live.some((a) => a.leadership.isLeader(roleOf(job)));
        }),
      'owners for every job',
    );
    const from = runs.length;
    await waitFor(
      () => jobs.every((job) => runsOf(job, from).length >= 5),
      'five runs of each job',
    );
    const owners = new Map<string, string>();
    for (const job of jobs) {
      const nodes = new Set(runsOf(job, from).map((r) => r.node));
      expect(nodes.size).toBe(1);
      owners.set(job, [...nodes][0]);
      expect(owners.get(job)).toBe(live[0].leadership.leader(roleOf(job)));
    }
    console.log(`@RunOnOwner on 2 nodes: ${[...owners].map(([j, n]) => `${j}→${n}`).join(', ')}`);
    expect(new Set(owners.values()).size).toBeGreaterThan(1);
  });
});
