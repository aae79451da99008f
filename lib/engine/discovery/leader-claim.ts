// How a node tells the cluster where it stands for a role: one ordinary
// entry, `leader:<role>`, gossiped like any other. Its value is
// `standby <term>` (a candidate, not leading) or `leading <term>` (it holds
// the role in term <term>). Holding the entry is what makes a member a
// candidate, so a node that never asked for a role is never chosen for it.

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
}

/** The entry value for a claim. */
export function formatClaim(claim: LeaderClaim): string {
  return `${claim.leading ? 'leading' : 'standby'} ${claim.term}`;
}

/**
 * Reads an entry value. A value this format does not describe (a user wrote
 * the key by hand) is a candidate at term 0 that does not lead: it can
 * neither block a handover nor inflate the term.
 */
export function parseClaim(value: string): LeaderClaim {
  const match = /^(leading|standby) (\d{1,15})$/.exec(value);
  if (!match) return { leading: false, term: 0 };
  return { leading: match[1] === 'leading', term: Number(match[2]) };
}
