import type { NodeRecord } from '../state/node-record';

/** What we remember of an expired node, so stale gossip cannot bring it back. */
interface Ghost {
  generation: number;
  heartbeat: number;
  left: boolean;
  until: number;
}

/** Expired nodes, remembered for `memory` ms so that gossip about them is known stale. */
export class Ghosts {
  private readonly ghosts = new Map<string, Ghost>();

  constructor(private readonly memory: number) {}

  /** The node expired here now. */
  remember(record: NodeRecord, now: number): void {
    this.ghosts.set(record.id, {
      generation: record.generation,
      heartbeat: record.heartbeat,
      left: record.left,
      until: now + this.memory,
    });
  }

  /** The node is back in our state (a new incarnation, or first-hand news of it). */
  delete(id: string): void {
    this.ghosts.delete(id);
  }

  /**
   * Gossip about an expired node is stale unless it names a newer
   * generation, or a higher heartbeat of the same one told by the node
   * itself (`firstHand`; a peer's copy may be old), never once it had left.
   */
  isGhost(id: string, generation: number, heartbeat: number, firstHand: boolean): boolean {
    const ghost = this.ghosts.get(id);
    if (!ghost) return false;
    if (generation !== ghost.generation) return generation < ghost.generation;
    return ghost.left || !firstHand || heartbeat <= ghost.heartbeat;
  }

  /** Forgets ghosts past their time. */
  sweep(now: number): void {
    for (const [id, ghost] of this.ghosts) if (ghost.until <= now) this.ghosts.delete(id);
  }
}
