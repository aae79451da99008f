/** Behaviour of the path from one node to another. Times in virtual ms. */
export interface LinkConfig {
  /** Probability a datagram is lost. */
  loss: number;
  /** One-way datagram delay. */
  delay: number;
  /** Extra delay, uniform in [0, jitter). */
  jitter: number;
  /** Probability a datagram is delivered twice (the copy with its own delay). */
  duplicate: number;
  /** Probability a datagram is held back by up to `reorderDelay`, so later ones overtake it. */
  reorder: number;
  reorderDelay: number;
  /** One-way delay of a stream message (connection set-up included); the reply takes `delay`. */
  streamDelay: number;
  /**
   * Probability a stream breaks on the way there, and, independently, on
   * the way back (after the peer handled it): the requester sees the
   * connection fail ('unreachable'), as with a reset TCP connection.
   */
  streamLoss: number;
  /** Probability a stream request is handed to the peer twice (the copy's reply is discarded). */
  streamDuplicate: number;
}

export const DEFAULT_LINK: LinkConfig = {
  loss: 0,
  delay: 1,
  jitter: 1,
  duplicate: 0,
  reorder: 0,
  reorderDelay: 50,
  streamDelay: 3,
  streamLoss: 0,
  streamDuplicate: 0,
};

interface Cut {
  from: Set<string> | undefined;
  to: Set<string> | undefined;
}

/**
 * The faults of every link: default behaviour, per-link overrides and cuts
 * (traffic blocked one way between address sets), changed over time.
 */
export class LinkTable {
  private defaults: LinkConfig = { ...DEFAULT_LINK };
  private readonly links = new Map<string, Partial<LinkConfig>>();
  private readonly cuts = new Map<number, Cut>();
  private nextCut = 1;

  /** Changes the default behaviour of every link (fields not given are kept). */
  configure(config: Partial<LinkConfig>): void {
    this.defaults = { ...this.defaults, ...config };
  }

  get defaultLink(): LinkConfig {
    return { ...this.defaults };
  }

  /** Overrides the link from `from` to `to` (node addresses), one way. */
  configureLink(from: string, to: string, config: Partial<LinkConfig>): void {
    const key = `${from}>${to}`;
    this.links.set(key, { ...this.links.get(key), ...config });
  }

  clearLinks(): void {
    this.links.clear();
  }

  /**
   * Blocks all traffic (datagrams and streams) from any of `from` to any of
   * `to` (addresses; undefined means everyone). Returns an id for `heal`.
   */
  cut(from: string[] | undefined, to: string[] | undefined): number {
    const id = this.nextCut++;
    this.cuts.set(id, {
      from: from ? new Set(from) : undefined,
      to: to ? new Set(to) : undefined,
    });
    return id;
  }

  /** Removes one cut, or every cut when no id is given. */
  heal(id?: number): void {
    if (id === undefined) this.cuts.clear();
    else this.cuts.delete(id);
  }

  blocked(from: string, to: string): boolean {
    for (const cut of this.cuts.values()) {
      if ((!cut.from || cut.from.has(from)) && (!cut.to || cut.to.has(to))) return true;
    }
    return false;
  }

  /** The behaviour of the link from `from` to `to`: the defaults with its overrides. */
  link(from: string, to: string): LinkConfig {
    if (this.links.size === 0) return this.defaults;
    const override = this.links.get(`${from}>${to}`);
    return override ? { ...this.defaults, ...override } : this.defaults;
  }
}
