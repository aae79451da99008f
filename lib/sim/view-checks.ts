import type { NodeState } from '../engine/vocabulary/types';
import type { SimNode } from './sim-node';
import type { SimLogLine } from './trace';
import type { Violation } from './traffic';

/**
 * What keeps `among` from agreeing: for every node and every other node of
 * `among`, the observer must see the owner alive and hold exactly the
 * owner's entries (tombstones included) and version. Empty when converged.
 * At most `limit` lines.
 */
export function divergences(among: SimNode[], limit: number): string[] {
  const out: string[] = [];
  const owners = among.map((n) => ({ id: n.id, gossip: n.gossip, meta: n.gossip.node(n.id)! }));
  // Cheap pass on metadata first; entries are compared only once every version agrees.
  for (const observer of among) {
    const seen = new Map(observer.gossip.nodes().map((m) => [m.id, m]));
    for (const owner of owners) {
      if (owner.id === observer.id) continue;
      const m = seen.get(owner.id);
      const problem = !m
        ? 'unknown'
        : m.status !== 'alive'
          ? m.status
          : m.version !== owner.meta.version
            ? `version ${m.version} != ${owner.meta.version}`
            : undefined;
      if (problem) {
        out.push(`${observer.id} sees ${owner.id}: ${problem}`);
        if (out.length >= limit) return out;
      }
    }
  }
  if (out.length > 0) return out;
  for (const owner of owners) {
    const state = owner.gossip.localNode();
    for (const observer of among) {
      if (owner.id === observer.id) continue;
      const seen = observer.gossip.node(owner.id);
      if (!seen || !sameEntries(seen, state)) {
        out.push(`${observer.id} sees ${owner.id}: entries differ`);
        if (out.length >= limit) return out;
      }
    }
  }
  return out;
}

function sameEntries(a: NodeState, b: NodeState): boolean {
  if (a.entries.length !== b.entries.length) return false;
  for (let i = 0; i < a.entries.length; i++) {
    const x = a.entries[i];
    const y = b.entries[i];
    if (
      x.key !== y.key ||
      x.value !== y.value ||
      x.version !== y.version ||
      x.deleted !== y.deleted ||
      x.internal !== y.internal
    )
      return false;
  }
  return true;
}

/** The live key/values of a node state (tombstones left out). */
export function liveKeysOf(state: NodeState | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of state?.entries ?? []) if (!e.deleted) out.set(e.key, e.value);
  return out;
}

/** True when every node among them knows every other as alive (states may still differ). */
export function membershipConverged(among: SimNode[]): boolean {
  return among.every((observer) =>
    among.every((n) => n === observer || observer.gossip.node(n.id)?.status === 'alive'),
  );
}

/** Network violations and engine error logs, one line each: a correct run has none. */
export function problems(violations: Violation[], logs: SimLogLine[]): string[] {
  return [
    ...violations.map(
      (v) => `${v.kind}: ${v.from} -> ${v.to} ${v.size} bytes (limit ${v.limit}) at ${v.at}`,
    ),
    ...logs.filter((l) => l.level === 'error').map((l) => `${l.node}: ${l.message}`),
  ];
}
