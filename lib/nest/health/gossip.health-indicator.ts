import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { GossipService } from '../gossip.service';

export interface GossipHealthOptions {
  /** Fewer live nodes than this (this one included) is `down`. Default 1. */
  minMembers?: number;
}

/**
 * `@nestjs/terminus` indicator: `up` with member counts once the node has
 * joined, `down` while it is still joining, after it left, once closed, or
 * while another process uses its node id (`idConflict: { id, addr }`: it
 * was refused a join, or a copy claimed its id, within `nodeExpiry`).
 * Import from `nestjs-gossip/health` (the main entry never loads terminus);
 * provide it where `GossipService` is visible (the module that imports
 * `GossipModule`, or anywhere with `isGlobal: true`) next to `TerminusModule`.
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.gossip.isHealthy('gossip')]); }
 * ```
 */
@Injectable()
export class GossipHealthIndicator {
  /** @internal Nest injects it. */
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly gossip: GossipService,
  ) {}

  isHealthy<const Key extends string = 'gossip'>(
    key: Key = 'gossip' as Key,
    options: GossipHealthOptions = {},
  ): HealthIndicatorResult<Key> {
    const session = this.health.check(key);
    const status = this.gossip.status;
    const nodeId = this.gossip.nodeId;
    if (status === 'closed' || status === 'left') return session.down({ nodeId, gossip: status });
    let members = 0;
    let unreachable = 0;
    let left = 0;
    // A pending node (known, never yet seen alive) is neither a member nor unreachable.
    for (const node of this.gossip.nodes()) {
      if (node.status === 'left') left++;
      else if (node.status === 'unreachable') unreachable++;
      else if (node.status === 'alive') members++;
    }
    const data = { nodeId, gossip: status, members, unreachable, left };
    const idConflict = this.gossip.idConflict;
    if (idConflict) return session.down({ ...data, idConflict });
    if (status !== 'joined') return session.down(data);
    if (members < (options.minMembers ?? 1)) return session.down(data);
    return session.up(data);
  }
}
