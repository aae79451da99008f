import type { ResolvedOptions } from './config/options';
import { Leadership, type LeadershipHost, leadershipTiming } from './discovery/leadership';
import type { Standing } from './discovery/leader-rule';
import { deleteOwn, upsertOwn } from './state/local-writes';
import type { NodeRecord } from './state/node-record';
import type { NodeMetadata } from './vocabulary/types';

/** What the facade lends leadership: its view, its own entries, and a say on when it may lead. */
export interface LeadershipHostDeps {
  self: NodeRecord;
  records: ReadonlyMap<string, NodeRecord>;
  opts: ResolvedOptions;
  nodes(): NodeMetadata[];
  ready(): boolean;
  writable(): boolean;
  /** Claims are entries of ours: the discovery index learns them like any local write. */
  refresh(): void;
  warn(message: string): void;
  /** A full sync with one live peer (see `LeadershipHost.resync`). */
  resync(): Promise<boolean>;
}

/** What leadership reads and writes: this node's view and its own entries. */
export function leadershipHost(d: LeadershipHostDeps): LeadershipHost {
  const standing = (id: string): Standing | undefined => {
    const record = d.records.get(id);
    if (!record) return undefined;
    if (record.left) return 'left';
    return record.vitals.status === 'alive' ? 'live' : record.vitals.status;
  };
  return {
    nodeId: d.self.id,
    nodes: d.nodes,
    standing,
    value: (id, key) => {
      const entry = d.records.get(id)?.get(key);
      return entry && !entry.deleted && !entry.internal ? entry.value : undefined;
    },
    ready: d.ready,
    writable: d.writable,
    write: (key, value) => {
      upsertOwn(d.self, key, value, d.opts);
      d.refresh();
    },
    remove: (key) => {
      deleteOwn(d.self, key, d.opts.clock.now(), d.opts);
      d.refresh();
    },
    warn: d.warn,
    resync: d.resync,
  };
}

/** `gossip.leadership`, on this node's view and entries, its clock and the interval's timing. */
export function createLeadership(d: LeadershipHostDeps): Leadership {
  return new Leadership(leadershipHost(d), d.opts.clock, leadershipTiming(d.opts.interval));
}
