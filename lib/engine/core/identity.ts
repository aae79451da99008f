import type { ClusterState } from '../state/cluster-state';
import type { DigestEntry } from '../codec';
import { GossipPeerError } from '../vocabulary/errors';
import type { NodeRecord } from '../state/node-record';
import type { Outcome } from '../state/outcome';

/** Another process claims a node id: `addr` is where the other one is (or the live holder, for a refused joiner). */
export interface GossipIdConflict {
  id: string;
  addr: string;
}

/** The refusal code of a stream from a process whose id a live node at another address holds. */
export const ID_CONFLICT_CODE = 'id-conflict';

/** The refusal's text: names the id and the address of the node that holds it (parsed back by `idConflictIn`). */
export function idConflictText(id: string, addr: string): string {
  return `node id ${JSON.stringify(id)} is already used by a live node at ${addr}: give every node its own nodeId`;
}

/** The id and holder named in a refusal's text (see `idConflictText`), if it is one. */
export function idConflictIn(message: string): GossipIdConflict | undefined {
  const match = /node id ("(?:[^"\\]|\\.)*") is already used by a live node at (\S+):/.exec(
    message,
  );
  if (!match) return undefined;
  return { id: JSON.parse(match[1]) as string, addr: match[2] };
}

/**
 * One identity per id (docs/protocol.md, "One identity per id"). A node id
 * belongs to one live process. A stream from a process that claims the id
 * of a node we hold alive at another address is refused once that node
 * answers a ping (the facade asks; `liveHolder`); a newer generation of a
 * node we hold alive is taken from no one but its claimant over a stream
 * (Merger). A live node that hears of a newer generation of its own id
 * refutes it at once, as SWIM refutes a suspicion: it takes the generation
 * above it, and peers take the live one back as soon as the copy is gone.
 * The copy, on hearing that refutation (exactly one above its own
 * generation, from another address), yields instead of refuting back, so
 * two live copies never flap. Both remember the conflict for `memory` ms
 * (the health indicator reports it).
 */
export class IdentityGuard {
  private last: (GossipIdConflict & { at: number }) | undefined;
  /** A copy we just refuted, to be told at once. */
  private claimant: string | undefined;

  constructor(
    private readonly state: ClusterState,
    private readonly memory: number,
  ) {}

  /** A peer named `generation` of our own id at `addr` (in a digest or a delta). */
  claimed(generation: number, addr: string, now: number, out: Outcome): void {
    const self = this.state.self;
    if (generation < self.generation && this.last?.addr === addr) this.last.at = now; // still held
    if (generation <= self.generation) return;
    if (addr === self.addr) {
      // A former incarnation of ours at our address (its clock ran ahead): outrank it.
      self.reincarnate(generation + 1);
      return;
    }
    this.note(addr, now);
    if (generation === self.generation + 1) {
      out.warn(
        'id-clash',
        `node id ${self.id} is held by a live node at ${addr}, which refuted our claim: this node yields; give every node its own nodeId`,
      );
      return;
    }
    self.reincarnate(generation + 1);
    this.claimant = addr;
    out.warn(
      'id-clash',
      `another node uses our id ${self.id} at ${addr} (generation ${generation}): refuted with generation ${self.generation}`,
    );
  }

  /** The entries of a digest that name our own id (a message from a copy of us). */
  claimedIn(digest: DigestEntry[], now: number, out: Outcome): void {
    for (const e of digest)
      if (e.id === this.state.self.id) this.claimed(e.generation, e.addr, now, out);
  }

  /**
   * The live node to ask before answering a stream from a process that
   * claims `id` at `addr` with `generation`: a node we hold alive with that
   * id at another address (another generation). Our own id needs no asking.
   */
  holderToAsk(id: string, addr: string, generation: number): NodeRecord | undefined {
    const record = this.state.records.get(id);
    if (!record || record === this.state.self || record.left) return undefined;
    if (record.addr === addr || record.generation === generation) return undefined;
    return record.vitals.status === 'alive' ? record : undefined;
  }

  /** Whether a process claiming our own id at `addr` with `generation` is another one than us. */
  isCopyOfUs(id: string, addr: string, generation: number): boolean {
    const self = this.state.self;
    return id === self.id && (addr !== self.addr || generation !== self.generation);
  }

  /** The address of a copy we refuted since the last call: an exchange tells it, and it yields. */
  claimantToTell(): string | undefined {
    const addr = this.claimant;
    this.claimant = undefined;
    return addr;
  }

  /** Whether a join was refused because a live node holds our id (`id-conflict`): then noted. */
  refusedJoin(errors: Error[], now: number): boolean {
    const refusal = errors.find(
      (e) => e instanceof GossipPeerError && e.reason === ID_CONFLICT_CODE,
    );
    if (!refusal) return false;
    const holder = idConflictIn(refusal.message);
    if (holder) this.note(holder.addr, now);
    return true;
  }

  /** Another process holds or claims our id at `addr`. */
  note(addr: string, now: number): void {
    this.last = { id: this.state.self.id, addr, at: now };
  }

  /** The last conflict over our id, while it is recent. */
  conflict(now: number): GossipIdConflict | undefined {
    const last = this.last;
    if (!last || now - last.at > this.memory) return undefined;
    return { id: last.id, addr: last.addr };
  }
}
