/** What the receiver remembers of one sender process. */
interface SenderMark {
  generation: number;
  /** The highest seq of this process handed to users. */
  last: number;
}

/**
 * The receiving side's duplicate filter: per sender, the process
 * (generation) last heard from and the highest seq handed on. A sender
 * sends each target its messages in seq order and resends only what was not
 * acknowledged, so anything at or below the mark was handed on already.
 * One mark per sender id (a newer generation replaces the older), at most
 * `capacity` of them: past it the oldest is forgotten.
 */
export class Inbox {
  private readonly marks = new Map<string, SenderMark>();

  constructor(private readonly capacity: number) {}

  /**
   * The highest seq of process (`from`, `generation`) handed on so far (0
   * for a process not heard from), or undefined when a newer process of
   * that id was heard from already (its messages are stale).
   */
  mark(from: string, generation: number): number | undefined {
    const mark = this.marks.get(from);
    if (!mark || generation > mark.generation) return 0;
    return generation < mark.generation ? undefined : mark.last;
  }

  /** Messages up to `seq` of process (`from`, `generation`) were handed on. */
  advance(from: string, generation: number, seq: number): void {
    const mark = this.marks.get(from);
    if (mark && mark.generation === generation) {
      mark.last = Math.max(mark.last, seq);
      return;
    }
    if (mark && mark.generation > generation) return;
    this.marks.delete(from);
    if (this.marks.size >= this.capacity) {
      const oldest = this.marks.keys().next();
      if (!oldest.done) this.marks.delete(oldest.value);
    }
    this.marks.set(from, { generation, last: seq });
  }
}
