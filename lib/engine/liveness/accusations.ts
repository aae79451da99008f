import type { NodeRecord } from '../state/node-record';
import type { Prober } from './prober';

/** Internal entries an observer writes: `<prefix><subject id>` = the subject's generation. */
export const ACCUSATION_PREFIX = '\u0000unreachable:';

/** Keys already built: every node judges every other node after a membership change. */
const keys = new Map<string, string>();
const MAX_CACHED_KEYS = 100_000;

export function accusationKey(subjectId: string): string {
  let key = keys.get(subjectId);
  if (key === undefined) {
    if (keys.size >= MAX_CACHED_KEYS) keys.clear();
    key = ACCUSATION_PREFIX + subjectId;
    keys.set(subjectId, key);
  }
  return key;
}

/** The subject an accusation key names, or undefined for another internal key. */
export function accusedIn(key: string): string | undefined {
  return key.startsWith(ACCUSATION_PREFIX) ? key.slice(ACCUSATION_PREFIX.length) : undefined;
}

/** Whether `observer`'s state holds a standing accusation of this incarnation of `subject`. */
export function accuses(observer: NodeRecord | undefined, subject: NodeRecord): boolean {
  if (observer === undefined || observer.size === 0) return false;
  const entry = observer.get(accusationKey(subject.id));
  return entry !== undefined && !entry.deleted && entry.value === String(subject.generation);
}

/**
 * This node's accusations, kept as internal entries of its own record so
 * that gossip carries them like any other entry (news push, anti-entropy,
 * TCP sync): every node then judges from the same evidence. Only this class
 * writes them.
 */
export class Accusations {
  /** Subjects that expired here while we accused them: the accusation stands until then. */
  private readonly lingering = new Map<string, number>();

  constructor(
    private readonly self: NodeRecord,
    /** How long an accusation outlives its subject here (peers may hold it longer). */
    private readonly memory: number,
  ) {}

  /**
   * Brings our accusations in line with our detectors, and returns the
   * subjects whose accusation appeared or went. An accusation is written
   * when a detector of ours suspects its subject, and withdrawn only when
   * the subject answers one of our pings (`withdraw`), so a withdrawal is
   * always evidence of life. Until then it stands, even once the ring no
   * longer makes us an observer (we keep pinging the subjects we accuse):
   * it ends without an ack only with its incarnation (the subject left, was
   * replaced by a newer generation, or expired here `memory` ago: a peer
   * whose ring still counts us among its observers must reach our verdict).
   */
  publish(
    watched: NodeRecord[],
    prober: Prober,
    records: ReadonlyMap<string, NodeRecord>,
    now: number,
  ): string[] {
    const wanted = new Map<string, string>();
    for (const s of watched) {
      if (prober.suspects(s.id)) wanted.set(accusationKey(s.id), String(s.generation));
    }
    for (const key of this.self.internalKeys(ACCUSATION_PREFIX)) {
      if (wanted.has(key)) continue;
      const id = key.slice(ACCUSATION_PREFIX.length);
      const value = this.self.get(key)?.value ?? '';
      const subject = records.get(id);
      if (subject) {
        if (!subject.left && String(subject.generation) === value) wanted.set(key, value);
      } else if ((this.lingering.get(id) ?? 0) > now) {
        wanted.set(key, value);
      }
    }
    for (const [id, until] of this.lingering) if (until <= now) this.lingering.delete(id);

    const changed: string[] = [];
    for (const [key, value] of wanted) {
      const held = this.self.get(key);
      if (held && !held.deleted && held.value === value) continue;
      this.write(key, value, now);
      changed.push(key.slice(ACCUSATION_PREFIX.length));
    }
    for (const key of this.self.internalKeys(ACCUSATION_PREFIX)) {
      if (wanted.has(key)) continue;
      this.write(key, undefined, now);
      changed.push(key.slice(ACCUSATION_PREFIX.length));
    }
    return changed;
  }

  /** The subjects of our standing accusations: we keep pinging them until they answer. */
  accused(): string[] {
    return this.self
      .internalKeys(ACCUSATION_PREFIX)
      .map((key) => key.slice(ACCUSATION_PREFIX.length));
  }

  /** The subject answered us: our accusation of it, if any, ends now. Returns whether one did. */
  withdraw(subjectId: string, now: number): boolean {
    const held = this.self.get(accusationKey(subjectId));
    if (!held || held.deleted) return false;
    this.write(accusationKey(subjectId), undefined, now);
    return true;
  }

  /** The subject expired here. */
  expired(subjectId: string, now: number): void {
    const held = this.self.get(accusationKey(subjectId));
    if (held && !held.deleted) this.lingering.set(subjectId, now + this.memory);
  }

  private write(key: string, value: string | undefined, now: number): void {
    // Once we have left, our state is frozen: nothing more to say.
    if (this.self.left) return;
    this.self.put({
      key,
      value: value ?? '',
      version: this.self.maxVersion + 1,
      deleted: value === undefined,
      internal: true,
      deletedAt: value === undefined ? now : 0,
    });
  }
}
