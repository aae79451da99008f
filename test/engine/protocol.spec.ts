import {
  Message,
  MessageType,
  Outgoing,
  decodeMessage,
  encodeMessage,
  isProbe,
} from '../../lib/engine/codec';
import { NodeRecord } from '../../lib/engine/state/node-record';
import { resolveOptions } from '../../lib/engine/config/options';
import { GossipEvent, Outcome } from '../../lib/engine/state/outcome';
import { ProtocolCore } from '../../lib/engine/core/protocol';
import { idTag } from '../../lib/engine/liveness/prober';
import { deriveTuning } from '../../lib/engine/vocabulary/tuning';

/** Protocol cores talking with no network: each message is encoded and decoded, nothing else. */
const LIMITS = { maxKeySize: 512, maxValueSize: 1 << 20, maxArrayLength: 10_016 };
let now = 1_000_000;

function core(id: string, index: number): ProtocolCore {
  const opts = resolveOptions({ bindAddr: '127.0.0.1:0', nodeId: id, random: seeded(index) });
  const self = new NodeRecord(id, `10.0.0.${index}:7946`, 1000 + index);
  return new ProtocolCore(
    self,
    { ...opts, tuning: deriveTuning(opts), sealOverhead: 0 },
    now,
    () => now,
  );
}

function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** Through the codec, as a peer would receive it. */
function wire(message: Outgoing): Message {
  return decodeMessage(encodeMessage(message), LIMITS);
}

function write(node: ProtocolCore, key: string, value: string): void {
  const self = node.self;
  self.put({
    key,
    value,
    version: self.maxVersion + 1,
    deleted: false,
    internal: false,
    deletedAt: 0,
  });
}

/** Joins `joiner` to `via` as Gossip.join does: Sync, SyncReply, Push. Returns each side's events. */
function joinSync(joiner: ProtocolCore, via: ProtocolCore): [GossipEvent[], GossipEvent[]] {
  const answer = via.streams.answer(wire(joiner.streams.request()), joiner.self.addr, now);
  const out = new Outcome();
  const push = joiner.streams.absorb(wire(answer.reply!) as never, now, out);
  const viaEvents = [...answer.outcome.events];
  if (push)
    viaEvents.push(...via.streams.answer(wire(push.push), joiner.self.addr, now).outcome.events);
  return [out.events, viaEvents];
}

/** Delivers datagrams between cores until none is left; returns every event per node. */
function exchange(cores: ProtocolCore[], first: Outcome): Map<string, GossipEvent[]> {
  const byAddr = new Map(cores.map((c) => [c.self.addr, c]));
  const events = new Map(cores.map((c) => [c.self.id, [] as GossipEvent[]]));
  const queue = first.sends.map((s) => ({ ...s, from: cores[0].self.addr }));
  for (let hops = 0; queue.length > 0 && hops < 20; hops++) {
    const send = queue.shift()!;
    expect(send.kind).toBe('packet');
    const target = byAddr.get(send.to)!;
    const out = target.receive(wire(send.message), send.from, now);
    expect(out.rejections).toEqual([]);
    events.get(target.self.id)!.push(...out.events);
    queue.push(...out.sends.map((s) => ({ ...s, from: target.self.addr })));
  }
  return events;
}

describe('ProtocolCore without a network', () => {
  it('joins over a stream sync: each side learns the other and its entries', () => {
    const a = core('a', 1);
    const b = core('b', 2);
    write(b, 'color', 'blue');
    write(a, 'shape', 'round');

    const [aEvents, bEvents] = joinSync(a, b);

    expect(aEvents).toEqual([
      { type: 'join', nodeId: 'b' },
      { type: 'upsert-key', nodeId: 'b', key: 'color', value: 'blue' },
    ]);
    expect(bEvents).toEqual([
      { type: 'join', nodeId: 'a' },
      { type: 'upsert-key', nodeId: 'a', key: 'shape', value: 'round' },
    ]);
    expect(a.state.records.get('b')?.maxVersion).toBe(1);
    expect(b.state.records.get('a')?.maxVersion).toBe(1);
    expect(a.state.summary()).toEqual(b.state.summary());
  });

  it('runs a whole Syn, SynAck, Ack exchange that carries both sides’ writes', () => {
    const a = core('a', 1);
    const b = core('b', 2);
    joinSync(a, b);
    now += 5000; // the join is old news
    write(a, 'x', '1');
    write(b, 'y', '2');

    const round = a.round(now, 0);
    // Fresh news: the round opens an exchange (besides probing the node it watches).
    const exchanges = round.sends.filter((s) => !isProbe(s.message));
    expect(exchanges.map((s) => [s.to, s.message.type])).toEqual([[b.self.addr, MessageType.Syn]]);
    round.sends.splice(0, round.sends.length, ...exchanges);
    const events = exchange([a, b], round);

    expect(events.get('b')).toContainEqual({
      type: 'upsert-key',
      nodeId: 'a',
      key: 'x',
      value: '1',
    });
    expect(events.get('a')).toContainEqual({
      type: 'upsert-key',
      nodeId: 'b',
      key: 'y',
      value: '2',
    });
    expect(a.state.summary()).toEqual(b.state.summary());
  });

  it('answers a Syn whose summary equals ours with its summary only, and nothing follows', () => {
    const a = core('a', 1);
    const b = core('b', 2);
    joinSync(a, b);
    now += 5000;
    const opening = new Outcome();
    a.syn(a.state.records.get('b')!, false, opening);
    const syn = opening.sends[0];
    const reply = b.receive(wire(syn.message), a.self.addr, now);
    expect(reply.sends).toHaveLength(1);
    const synAck = wire(reply.sends[0].message);
    expect(synAck).toMatchObject({
      type: MessageType.SynAck,
      digest: [],
      delta: [],
      truncated: false,
    });
    expect(a.receive(synAck, b.self.addr, now).sends).toEqual([]);
  });

  it('reports a node unreachable when it stops answering pings, and reachable when it answers', () => {
    const a = core('a', 1);
    const b = core('b', 2);
    joinSync(a, b);
    /** One round of `a` and the probe tick halfway to the next; pings reach `b` and the acks come back when `answering`. */
    const round = (answering: boolean): Outcome => {
      const out = new Outcome();
      for (const tick of [() => a.round(now, 0), () => a.midRound(now, 0)]) {
        now += 50;
        const ticked = tick();
        out.events.push(...ticked.events);
        for (const send of ticked.sends) {
          if (send.message.type !== MessageType.Ping || !answering) continue;
          const reply = b.receive(wire(send.message), a.self.addr, now);
          for (const ack of reply.sends.filter((s) => s.message.type === MessageType.PingAck))
            out.events.push(...a.receive(wire(ack.message), b.self.addr, now).events);
        }
      }
      return out;
    };
    for (let i = 0; i < 300; i++) expect(round(true).events).toEqual([]);

    // b stops answering: a, its only observer, accuses it after a short run of misses.
    const silent: GossipEvent[] = [];
    let rounds = 0;
    while (silent.length === 0 && rounds < 50) {
      silent.push(...round(false).events);
      rounds++;
    }
    expect(silent).toEqual([{ type: 'unreachable', nodeId: 'b' }]);
    expect(rounds).toBeLessThanOrEqual(6); // a regular ping every 2 rounds, then one every probe tick
    expect(a.livePeers()).toEqual([]);
    expect(a.state.self.liveEntries().size).toBe(0); // the accusation is internal

    expect(round(true).events).toEqual([{ type: 'reachable', nodeId: 'b' }]);
    expect(a.livePeers().map((r) => r.id)).toEqual(['b']);
  });

  it('pings a node whose heartbeats arrive only now and then, and refuses a heartbeat naming another id', () => {
    const a = core('a', 1);
    const b = core('b', 2);
    joinSync(a, b);
    const nodes = new Map([
      [a.self.addr, a],
      [b.self.addr, b],
    ]);
    let pingsToB = 0;
    /** Carries probes (and their answers) from `from`; counts a's pings to b once settled. */
    const deliver = (from: ProtocolCore, out: Outcome, count: boolean): void => {
      for (const send of out.sends) {
        if (!isProbe(send.message)) continue;
        if (count && from === a && send.message.type === MessageType.Ping) pingsToB++;
        const to = nodes.get(send.to)!;
        deliver(to, to.receive(wire(send.message), from.self.addr, now), count);
      }
    };
    for (let i = 0; i < 200; i++) {
      now += 50;
      for (const node of [a, b])
        deliver(node, i % 2 ? node.midRound(now, 0) : node.round(now, 0), i >= 100);
    }
    // 50 rounds, 25 probe periods: a ping once a second (every 5th period) to verify b hears us.
    expect(pingsToB).toBe(25 / 5);
    expect(a.livePeers().map((r) => r.id)).toEqual(['b']);

    const beat = { type: MessageType.Beat, target: idTag('a'), from: idTag('b') } as const;
    expect(a.receive(beat, b.self.addr, now).rejections).toEqual([]);
    const forOther = a.receive({ ...beat, target: idTag('z') }, b.self.addr, now);
    expect(forOther.rejections.map((r) => r.reason)).toEqual(['target']);
    // Another process on b's address does not pass for b.
    const impostor = a.receive({ ...beat, from: idTag('z') }, b.self.addr, now);
    expect(impostor.rejections.map((r) => [r.reason, r.detail])).toEqual([
      ['target', "a heartbeat from another node id than b's"],
    ]);
  });

  it('takes a ping from a node it does not know yet as that node’s proof of life when gossip brings it', () => {
    /** c, b and a joined through c; b then hears of a from c alone. Returns b's events and pings to a. */
    const scenario = (introduce: (a: ProtocolCore, b: ProtocolCore) => void) => {
      const a = core('a', 1);
      const b = core('b', 2);
      const c = core('c', 3);
      joinSync(b, c);
      joinSync(a, c);
      introduce(a, b);
      const events: GossipEvent[] = [];
      let pingsToA = 0;
      const queue = (() => {
        const out = new Outcome();
        c.syn(c.state.records.get('b')!, true, out);
        return out.sends.map((send) => ({ ...send, from: c }));
      })();
      while (queue.length > 0) {
        const send = queue.shift()!;
        if (send.to === a.self.addr) {
          if (send.message.type === MessageType.Ping) pingsToA++;
          continue;
        }
        const to = send.to === b.self.addr ? b : c;
        const out = to.receive(wire(send.message), send.from.self.addr, now);
        expect(out.rejections).toEqual([]);
        if (to === b) events.push(...out.events);
        queue.push(...out.sends.map((next) => ({ ...next, from: to })));
      }
      return { events, pingsToA, status: b.state.records.get('a')?.vitals.status };
    };
    const pingFromA = (a: ProtocolCore, b: ProtocolCore, from = idTag('a')) => {
      const ping = { type: MessageType.Ping, seq: 1, target: idTag('b'), from } as const;
      const answer = b.receive(ping, a.self.addr, now);
      // Answered whoever sent it, and nothing is refused: b knows nobody at a's address yet.
      expect(answer.sends.map((send) => [send.to, send.message.type])).toEqual([
        [a.self.addr, MessageType.PingAck],
      ]);
      expect(answer.rejections).toEqual([]);
    };

    // a's ping came first: a joins b's view as soon as c names it, and b needs no ping of its own.
    const introduced = scenario((a, b) => pingFromA(a, b));
    expect(introduced.events).toContainEqual({ type: 'join', nodeId: 'a' });
    expect(introduced.status).toBe('alive');
    expect(introduced.pingsToA).toBe(0);

    // Without it (or from a process with another id's tag, or too long ago) a is pending until it answers b's ping.
    const unproven = [
      scenario(() => undefined),
      scenario((a, b) => pingFromA(a, b, idTag('z'))),
      scenario((a, b) => {
        pingFromA(a, b);
        now += deriveTuning(resolveOptions({ bindAddr: ':0', nodeId: 'x' })).introductionMemory + 1;
      }),
    ];
    for (const { events, pingsToA, status } of unproven) {
      expect(events).not.toContainEqual({ type: 'join', nodeId: 'a' });
      expect(status).toBe('pending');
      expect(pingsToA).toBe(1);
    }
  });

  it('refuses a ping from a known node’s address that names another id as its sender: no proof of life', () => {
    const a = core('a', 1);
    const b = core('b', 2);
    joinSync(a, b);
    const ping = { type: MessageType.Ping, seq: 1, target: idTag('a'), from: idTag('z') } as const;
    const contacts = a.state.records.get('b')!.vitals.contacts;
    const out = a.receive(ping, b.self.addr, now);
    // Still answered (the ack proves nothing of a's id to it), but it does not speak for b.
    expect(out.sends.map((send) => send.message.type)).toEqual([MessageType.PingAck]);
    expect(out.rejections.map((r) => [r.reason, r.detail])).toEqual([
      ['target', "a ping from another node id than b's"],
    ]);
    expect(a.state.records.get('b')!.vitals.contacts).toBe(contacts);
    expect(a.receive({ ...ping, from: idTag('b') }, b.self.addr, now).rejections).toEqual([]);
    expect(a.state.records.get('b')!.vitals.contacts).toBe(contacts + 1);
  });

  it('refuses datagrams of another cluster or in our own name, counting why', () => {
    const a = core('a', 1);
    const foreign = a.receive(
      { type: MessageType.Ack, clusterId: 'other', from: 'b', delta: [], truncated: false },
      '10.0.0.9:1',
      now,
    );
    expect(foreign.rejections.map((r) => r.reason)).toEqual(['cluster']);
    const forged = a.receive(
      { type: MessageType.Ack, clusterId: 'default', from: 'a', delta: [], truncated: false },
      '10.0.0.9:1',
      now,
    );
    expect(forged.rejections.map((r) => r.reason)).toEqual(['self']);
  });
});
