import type { PublishResult } from '../vocabulary/messages';

/**
 * One `publish` or `send` on its way: the targets that still owe an
 * acknowledgement, and who acknowledged or dropped out. Settles once every
 * target is accounted for.
 */
export class Publication {
  private readonly delivered: string[] = [];
  private readonly missed: string[] = [];
  private waiting: number;

  constructor(
    readonly seq: number,
    /** Bytes it holds in the backlog. */
    readonly cost: number,
    targets: number,
    /** When it was published (clock ms). */
    readonly startedAt: number,
    private readonly onSettled: (publication: Publication, result: PublishResult) => void,
  ) {
    this.waiting = targets;
  }

  /** A delivery that needs no acknowledgement (this node's own copy). */
  deliveredHere(nodeId: string): void {
    this.delivered.push(nodeId);
  }

  /** `target` acknowledged it (`delivered`) or dropped out. */
  settle(target: string, delivered: boolean): void {
    (delivered ? this.delivered : this.missed).push(target);
    if (--this.waiting === 0) this.finish();
  }

  /** Settles at once when no remote target was asked. */
  finishIfIdle(): void {
    if (this.waiting === 0) this.finish();
  }

  private finish(): void {
    this.onSettled(this, {
      seq: this.seq,
      delivered: [...this.delivered].sort(),
      missed: [...this.missed].sort(),
    });
  }
}
