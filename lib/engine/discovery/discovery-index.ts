// What discovery reads, kept up to date as the cluster changes rather than
// rebuilt per read: key → its live holders, and the sorted live member ids.
// A member appearing costs in proportion to its entries, a write to one of
// them is one update; a read costs in proportion to what it returns. Pure:
// the facade feeds it.

/** Node id → value, for the live nodes holding one key. */
export type HolderValues = ReadonlyMap<string, string>;

const NONE: HolderValues = new Map();

/** Told of each change an answer computed from the index may depend on. */
export interface IndexChanges {
  /** A member joined the live ids or left them. */
  membersChanged(): void;
  /** The live holders of `key`, or a value one of them holds there, changed. */
  holdersChanged(key: string): void;
}

const IGNORED: IndexChanges = { membersChanged: () => undefined, holdersChanged: () => undefined };

export class DiscoveryIndex {
  /** key → node id → value, live members only. */
  private readonly byKey = new Map<string, Map<string, string>>();
  /** Live member id → its user entries (what `byKey` holds for it); the index owns these maps. */
  private readonly byNode = new Map<string, Map<string, string>>();
  /** The live member ids, sorted: owner lookups iterate it without copying. */
  private readonly ids: string[] = [];

  constructor(private readonly changes: IndexChanges = IGNORED) {}

  /**
   * What `id` offers now: its live user entries while it is a live member
   * (the index keeps the map: pass a fresh one), or undefined when it is not
   * (pending, unreachable, left, expired).
   */
  set(id: string, entries: Map<string, string> | undefined): void {
    const before = this.byNode.get(id);
    if (entries === undefined) {
      if (before === undefined) return;
      this.byNode.delete(id);
      for (const key of before.keys()) this.unhold(key, id);
      this.ids.splice(this.position(id), 1);
      this.changes.membersChanged();
      return;
    }
    if (before === undefined) {
      this.ids.splice(this.position(id), 0, id);
      this.changes.membersChanged();
    } else for (const key of before.keys()) if (!entries.has(key)) this.unhold(key, id);
    this.byNode.set(id, entries);
    for (const [key, value] of entries) {
      if (before?.get(key) === value) continue;
      let holders = this.byKey.get(key);
      if (!holders) this.byKey.set(key, (holders = new Map()));
      holders.set(id, value);
      this.changes.holdersChanged(key);
    }
  }

  /** Live member `id` now holds `key` = `value` (one write: no re-read of its other entries). */
  upsert(id: string, key: string, value: string): void {
    const entries = this.byNode.get(id);
    if (!entries || entries.get(key) === value) return;
    entries.set(key, value);
    let holders = this.byKey.get(key);
    if (!holders) this.byKey.set(key, (holders = new Map()));
    holders.set(id, value);
    this.changes.holdersChanged(key);
  }

  /** Live member `id` no longer holds `key`. */
  remove(id: string, key: string): void {
    const entries = this.byNode.get(id);
    if (!entries?.delete(key)) return;
    this.unhold(key, id);
  }

  /** The live member ids, sorted. Read-only: the index keeps it current in place. */
  members(): readonly string[] {
    return this.ids;
  }

  isMember(id: string): boolean {
    return this.byNode.has(id);
  }

  /** The live holders of `key` (node id → value). Read-only view, not a copy. */
  holders(key: string): HolderValues {
    return this.byKey.get(key) ?? NONE;
  }

  /** Every key some live member holds. */
  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }

  private unhold(key: string, id: string): void {
    const holders = this.byKey.get(key);
    if (!holders) return;
    holders.delete(id);
    if (holders.size === 0) this.byKey.delete(key);
    this.changes.holdersChanged(key);
  }

  /** Where `id` is or would go in the sorted ids (binary search). */
  private position(id: string): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
