import type { NodeStatus } from '../vocabulary/types';

/** A remote node's liveness as this node sees it. Only `Liveness` writes it. */
export class Vitals {
  status: NodeStatus = 'pending';
  /** Local time after which the record is dropped (set unless alive). */
  expiresAt: number | undefined;
  /** It showed life to us directly: an ack, a ping, a heartbeat, an exchange from its address. */
  evidenced = false;
  /** How many times it showed life to us directly (a stream may wait for the next one). */
  contacts = 0;
  /** Held unreachable: it showed life to us directly since it was last judged (consumed by the judgement). */
  heard = false;
  /** We reported it joined; its later changes are reported too. */
  announced = false;
  /**
   * Held unreachable: the observers (id -> generation of the incarnation
   * that accused) seen accusing it since the verdict. An accusation is
   * withdrawn only on an ack from its subject, so one of them withdrawing
   * is fresh evidence of life. Created with the first convictor: most
   * records never have one.
   */
  convictors: Map<string, number> | undefined;
}
