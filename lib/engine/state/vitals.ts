import type { NodeStatus } from '../vocabulary/types';

/** A remote node's liveness as this node sees it. Only `Liveness` writes it. */
export class Vitals {
  status: NodeStatus = 'pending';
  /** Local time after which the record is dropped (set unless alive). */
  expiresAt: number | undefined;
  /** It showed life to us directly: an ack, a ping, an exchange from its address. */
  evidenced = false;
  /** We reported it joined; its later changes are reported too. */
  announced = false;
  /** The observers whose accusations made it unreachable: it is reachable again when they take them back. */
  convictedBy: string[] = [];
}
