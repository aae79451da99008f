// How a node tells the cluster where it stands for a role: one ordinary
// entry, `leader:<role>`, gossiped like any other. Holding the entry is what
// makes a member a candidate, so a node that never asked for a role is
// never chosen for it. Its value is one of:
//   `leading <term> <beat>`            it holds the role in term <term>;
//   `standby <term>`                   a candidate, not leading;
//   `standby <term> <beat> <holder>`   the same, echoing the last beat it saw
//                                      from <holder> (the lease, see leader-lease.ts).
// <term> is the highest term the node itself held (0: never).

/** Prefix of the entries that carry leadership claims. */
export const LEADER_KEY_PREFIX = 'leader:';

/** The entry key that carries `role`'s claims. */
export function leaderKey(role: string): string {
  return `${LEADER_KEY_PREFIX}${role}`;
}

/** One member's claim for a role, as read from its entry. */
export interface LeaderClaim {
  /** It says it holds the role now. */
  leading: boolean;
  /** The highest term it held (0 before it ever led). */
  term: number;
  /** Leading: its latest beat. Standby: the beat it echoes (0: none). */
  beat: number;
  /** Standby: whose beat it echoes. */
  echoes?: string;
}

/** The entry value for a claim. */
export function formatClaim(claim: LeaderClaim): string {
  if (claim.leading) return `leading ${claim.term} ${claim.beat}`;
  if (claim.echoes === undefined) return `standby ${claim.term}`;
  return `standby ${claim.term} ${claim.beat} ${claim.echoes}`;
}

/**
 * Reads an entry value. A value this format does not describe (a user wrote
 * the key by hand) is a candidate at term 0 that does not lead: it can
 * neither block a handover nor inflate the term.
 */
export function parseClaim(value: string): LeaderClaim {
  const leading = /^leading (\d{1,15})(?: (\d{1,15}))?$/.exec(value);
  if (leading) return { leading: true, term: Number(leading[1]), beat: Number(leading[2] ?? 0) };
  const standby = /^standby (\d{1,15})(?: (\d{1,15}) (.+))?$/.exec(value);
  if (!standby) return { leading: false, term: 0, beat: 0 };
  const claim: LeaderClaim = { leading: false, term: Number(standby[1]), beat: 0 };
  if (standby[3] !== undefined) {
    claim.beat = Number(standby[2]);
    claim.echoes = standby[3];
  }
  return claim;
}
