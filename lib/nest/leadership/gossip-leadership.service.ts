import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  Observable,
  Subject,
  defer,
  distinctUntilChanged,
  filter,
  map,
  merge,
  startWith,
} from 'rxjs';
import type { Leadership, LeadershipChange, LeadershipOptions } from '../../engine';
import { GossipService } from '../gossip.service';
import { GOSSIP_LEADERSHIP_OPTIONS } from './leadership.constants';
import type { GossipLeadershipModuleOptions } from './leadership-module-options.interface';

/**
 * Leadership for Nest: one leader per role across the cluster (the engine's
 * `Gossip.leadership`; see docs/leadership.md for the guarantee). Roles
 * named by `@RunOnLeader`, `@RunOnOwner` and `@OnLeadership` are campaigned
 * for at start-up; call `campaign` for others.
 */
@Injectable()
export class GossipLeadershipService implements OnApplicationShutdown {
  /** Every change of a role this node campaigns for (hot; completes at shutdown). */
  readonly leadership$: Observable<LeadershipChange>;
  private readonly changes = new Subject<LeadershipChange>();
  private gossip: GossipService | undefined;
  private stopListening: (() => void) | undefined;

  /** @internal Nest injects it. */
  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(GOSSIP_LEADERSHIP_OPTIONS) private readonly options: GossipLeadershipModuleOptions,
  ) {
    this.leadership$ = this.changes.asObservable();
  }

  /** Becomes a candidate for `role`, with the module's options for it unless `options` are given. */
  campaign(role: string, options?: LeadershipOptions): void {
    this.engine().campaign(role, options ?? this.optionsFor(role));
  }

  /** Stops being a candidate for `role` (and stops leading it). */
  resign(role: string): void {
    this.engine().resign(role);
  }

  /** This node holds `role` right now: check it right before the work the role guards. */
  isLeader(role: string): boolean {
    return this.engine().isLeader(role);
  }

  /** Who leads `role` in this node's view, or undefined (no candidate, or no quorum). */
  leader(role: string): string | undefined {
    return this.engine().leader(role);
  }

  /**
   * The fencing token of this node's term for `role` (undefined when it does
   * not lead): pass it to the storage the job writes, which refuses a token
   * lower than the highest it accepted, so a stale leader's write fails.
   */
  token(role: string): number | undefined {
    return this.engine().token(role);
  }

  /** Where `role` stands on this node now. */
  state(role: string): LeadershipChange {
    return this.engine().state(role);
  }

  /** Who leads `role`: the current answer at subscription, then each change. */
  leader$(role: string): Observable<string | undefined> {
    return defer(() =>
      merge(
        this.changes.pipe(filter((c) => c.role === role)),
        // For a role this node does not campaign for, the view's changes.
        this.service().events$,
      ).pipe(
        startWith(undefined),
        map(() => this.leader(role)),
        distinctUntilChanged(),
      ),
    );
  }

  /** This node's hold on `role`: the current state at subscription, then each change. */
  changes$(role: string): Observable<LeadershipChange> {
    return defer(() =>
      this.changes.pipe(
        filter((c) => c.role === role),
        startWith(this.state(role)),
      ),
    );
  }

  /** The options the module gives `role`. */
  optionsFor(role: string): LeadershipOptions {
    const specific = this.options.roles?.[role];
    if (specific) return specific;
    return this.options.expectedSize === undefined
      ? {}
      : { expectedSize: this.options.expectedSize };
  }

  onApplicationShutdown(): void {
    this.stopListening?.();
    this.changes.complete();
  }

  /** The engine's leadership, found on first use (GossipModule may be built after this module). */
  private engine(): Leadership {
    return this.service().engine.leadership;
  }

  private service(): GossipService {
    if (!this.gossip) {
      const gossip = this.moduleRef.get(GossipService, { strict: false }) as
        GossipService | undefined;
      if (!gossip)
        throw new Error('GossipLeadershipModule needs GossipModule in the same application');
      this.stopListening = gossip.engine.leadership.onChange((c) => this.changes.next(c));
      this.gossip = gossip;
    }
    return this.gossip;
  }
}
