import type { NodeRecord } from '../state/node-record';

/**
 * The nodes learned second hand that have not shown life to us yet: each
 * regular tick pings a bounded number of them, in turn. Kept as a set so a
 * tick looks at these few records, not at every record we hold.
 */
export class UnprovenRecords {
  private readonly records = new Set<NodeRecord>();
  private cursor = 0;

  constructor(private readonly current: (id: string) => NodeRecord | undefined) {}

  /** A record learned second hand (it starts without evidence). */
  add(record: NodeRecord): void {
    this.records.add(record);
  }

  /** The same incarnation under a new record object (a reset): it keeps its place. */
  replace(old: NodeRecord, next: NodeRecord): void {
    if (this.records.delete(old)) this.records.add(next);
  }

  /** Up to `n` records never seen alive, in turn; evidence, a leave or expiry drops one for good. */
  next(n: number): NodeRecord[] {
    const all: NodeRecord[] = [];
    for (const r of this.records) {
      if (r.vitals.evidenced || r.left || this.current(r.id) !== r) this.records.delete(r);
      else all.push(r);
    }
    if (all.length <= n) return all;
    const out: NodeRecord[] = [];
    for (let i = 0; i < n; i++) out.push(all[(this.cursor + i) % all.length]);
    this.cursor = (this.cursor + n) % all.length;
    return out;
  }
}
