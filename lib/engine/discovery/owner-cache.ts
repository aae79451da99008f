// Owner answers remembered per key. An answer depends only on the live
// member ids (no filter) or on the live holders of the filter's key, so it
// stays right until one of those changes; the index reports each such change
// and the answers computed from it are dropped. A repeated lookup is then a
// map read instead of a hash of every member.
import { OWNER_CACHE_ANSWERS } from '../vocabulary/tuning';

/** key → owners (best first) for one filter and one replica count. */
type Answers = Map<string, readonly string[]>;
/** replica count → its answers. */
type ByCount = Map<number, Answers>;

export class OwnerCache {
  /** Unfiltered answers: they change with the member set. */
  private readonly all: ByCount = new Map();
  /** Filtered answers, by the filter's `holding`, then its `value` (undefined: any). */
  private readonly byHolding = new Map<string, Map<string | undefined, ByCount>>();
  /** Answers held in all scopes together, bounded by OWNER_CACHE_ANSWERS. */
  private size = 0;

  /** The remembered owners of `key`, or undefined when they must be computed. */
  get(key: string, n: number, holding?: string, value?: string): readonly string[] | undefined {
    const byCount = holding === undefined ? this.all : this.byHolding.get(holding)?.get(value);
    return byCount?.get(n)?.get(key);
  }

  /** Remembers `ids` as the owners of `key` (the caller no longer changes them). */
  set(key: string, n: number, ids: readonly string[], holding?: string, value?: string): void {
    if (this.size >= OWNER_CACHE_ANSWERS) this.clear();
    const byCount = holding === undefined ? this.all : this.scopeOf(holding, value);
    let answers = byCount.get(n);
    if (!answers) byCount.set(n, (answers = new Map()));
    if (!answers.has(key)) this.size++;
    answers.set(key, ids);
  }

  /** A member joined or stopped being live: every unfiltered answer may move. */
  membersChanged(): void {
    this.size -= count(this.all);
    this.all.clear();
  }

  /** The live holders of `key` (or their values) changed: answers filtered on it may move. */
  holdersChanged(key: string): void {
    const byValue = this.byHolding.get(key);
    if (!byValue) return;
    byValue.forEach((byCount) => (this.size -= count(byCount)));
    this.byHolding.delete(key);
  }

  private scopeOf(holding: string, value: string | undefined): ByCount {
    let byValue = this.byHolding.get(holding);
    if (!byValue) this.byHolding.set(holding, (byValue = new Map()));
    let byCount = byValue.get(value);
    if (!byCount) byValue.set(value, (byCount = new Map()));
    return byCount;
  }

  /** Full: start over. Simpler than tracking use, and a miss costs only what it cost uncached. */
  private clear(): void {
    this.all.clear();
    this.byHolding.clear();
    this.size = 0;
  }
}

function count(byCount: ByCount): number {
  let total = 0;
  byCount.forEach((answers) => (total += answers.size));
  return total;
}
