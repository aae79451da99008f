// Service discovery over the gossiped state: which live nodes hold a key (or
// keys under a prefix), with their values. Pure reads of one node's view;
// nothing here sends or waits, so every node answers from what it holds now.
import { owner as rendezvousOwner, owners as rendezvousOwners } from './ownership';
import type { NodeMetadata, NodeState } from '../vocabulary/types';

/** What discovery reads: a `Gossip` engine, or anything shaped like it. */
export interface ClusterView {
  nodes(): NodeMetadata[];
  node(id: string): NodeState | undefined;
}

/**
 * Narrows ownership to the members that advertise an entry: `{ holding: 'rpc' }`
 * (any value) or `{ holding: 'role', value: 'worker' }`.
 */
export interface MemberFilter {
  holding: string;
  value?: string;
}

/** Node id → value of `key`, for the live nodes that hold it (ids sorted). */
export type HolderMap = Map<string, string>;

/** Node id → { key: value } of the keys under a prefix, for the live nodes holding any. */
export type PrefixHolderMap = Map<string, Record<string, string>>;

/** Offered to discovery and ownership: alive (neither pending, unreachable nor left). */
export function isLive(node: NodeMetadata): boolean {
  return node.status === 'alive';
}

/** The live nodes holding `key` (not deleted), with its value on each. */
export function holdersOf(view: ClusterView, key: string): HolderMap {
  checkText('key', key);
  const out: HolderMap = new Map();
  for (const state of liveStates(view)) {
    const entry = state.entries.find((e) => e.key === key && !e.deleted);
    if (entry) out.set(state.id, entry.value);
  }
  return out;
}

/** The live nodes holding any key that starts with `prefix`, with those keys' values. */
export function holdersOfPrefix(view: ClusterView, prefix: string): PrefixHolderMap {
  if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
  const out: PrefixHolderMap = new Map();
  for (const state of liveStates(view)) {
    let values: Record<string, string> | undefined;
    for (const e of state.entries) {
      if (e.deleted || !e.key.startsWith(prefix)) continue;
      values ??= {};
      values[e.key] = e.value;
    }
    if (values) out.set(state.id, sortKeys(values));
  }
  return out;
}

/** Ids of the live members (this node included unless it left), optionally filtered, sorted. */
export function liveMembers(view: ClusterView, filter?: MemberFilter): string[] {
  if (filter === undefined) {
    return view
      .nodes()
      .filter(isLive)
      .map((n) => n.id)
      .sort();
  }
  checkFilter(filter);
  const held = holdersOf(view, filter.holding);
  return [...held]
    .filter(([, value]) => filter.value === undefined || value === filter.value)
    .map(([id]) => id);
}

/** The live member that owns `key` (rendezvous hashing), or undefined if none qualifies. */
export function ownerOf(view: ClusterView, key: string, filter?: MemberFilter): string | undefined {
  checkText('key', key);
  return rendezvousOwner(key, liveMembers(view, filter));
}

/** The `n` live members that own `key`, best first. */
export function ownersOf(
  view: ClusterView,
  key: string,
  n?: number,
  filter?: MemberFilter,
): string[] {
  checkText('key', key);
  return rendezvousOwners(key, liveMembers(view, filter), n);
}

/** Same nodes with the same values (order ignored): for "emit only on change". */
export function sameHolders(
  a: ReadonlyMap<string, string | Record<string, string>>,
  b: ReadonlyMap<string, string | Record<string, string>>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [id, value] of a) {
    if (!b.has(id)) return false;
    const other = b.get(id);
    if (typeof value === 'string' || typeof other === 'string') {
      if (value !== other) return false;
    } else if (!sameRecord(value, other as Record<string, string>)) return false;
  }
  return true;
}

/** Snapshots of the live nodes only, sorted by id (unreachable and left ones are not copied). */
function liveStates(view: ClusterView): NodeState[] {
  const out: NodeState[] = [];
  for (const meta of view.nodes()) {
    if (!isLive(meta)) continue;
    const state = view.node(meta.id);
    if (state && isLive(state)) out.push(state);
  }
  return out.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

function sortKeys(values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(values).sort()) out[k] = values[k];
  return out;
}

function checkFilter(filter: MemberFilter): void {
  if (typeof filter !== 'object' || filter === null)
    throw new TypeError('filter must be { holding, value? }');
  checkText('filter.holding', filter.holding);
  if (filter.value !== undefined && typeof filter.value !== 'string')
    throw new TypeError(`filter.value must be a string (got ${typeof filter.value})`);
}

function checkText(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${field} must be a non-empty string (got ${JSON.stringify(value)})`);
}
