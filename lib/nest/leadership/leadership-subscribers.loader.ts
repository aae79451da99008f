import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import type { LeadershipChange } from '../../engine';
import { GossipLeadershipService } from './gossip-leadership.service';
import { bindLeadershipGuard, unbindLeadershipGuard } from './leadership-guards';
import { LeadershipMetadataAccessor } from './leadership-metadata.accessor';
import type { OnLeadershipMetadata } from './on-leadership.decorator';

/**
 * Finds the `@RunOnLeader` / `@RunOnOwner` methods and `@OnLeadership`
 * handlers of the application's providers and controllers at module init
 * (before `@nestjs/schedule` starts its timers at bootstrap): binds each
 * instance to this application's leadership, subscribes the handlers, and
 * campaigns for every role they name.
 */
@Injectable()
export class LeadershipSubscribersLoader implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('GossipLeadership');
  private readonly bound: object[] = [];
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: LeadershipMetadataAccessor,
    private readonly leadership: GossipLeadershipService,
  ) {}

  onModuleInit(): void {
    const roles = new Set<string>();
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const { instance } = wrapper;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance);
      if (!prototype) continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const role = this.accessor.guardedRole(prototype[method]);
        if (role !== undefined) {
          roles.add(role);
          if (!this.bound.includes(instance)) {
            bindLeadershipGuard(instance, this.leadership);
            this.bound.push(instance);
          }
        }
        for (const handler of this.accessor.handlers(prototype[method])) {
          roles.add(handler.role);
          this.subscribe(instance as Record<string, unknown>, method, handler);
        }
      }
    }
    for (const role of roles) this.leadership.campaign(role);
  }

  onApplicationShutdown(): void {
    for (const instance of this.bound.splice(0)) unbindLeadershipGuard(instance);
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
  }

  /** `gained` when the node starts holding the role (or a newer term), `lost` when it stops. */
  private subscribe(
    instance: Record<string, unknown>,
    method: string,
    metadata: OnLeadershipMetadata,
  ): void {
    let holding: number | undefined;
    const name = `${instance.constructor?.name ?? 'anonymous'}.${method}`;
    const subscription = this.leadership.leadership$.subscribe((change) => {
      if (change.role !== metadata.role || change.token === holding) return;
      const was = holding;
      holding = change.token;
      if (was !== undefined && metadata.transition === 'lost')
        this.invoke(instance, method, name, { ...change, leading: false, token: undefined });
      if (holding !== undefined && metadata.transition === 'gained')
        this.invoke(instance, method, name, change);
    });
    this.subscriptions.push(subscription);
  }

  private invoke(
    instance: Record<string, unknown>,
    method: string,
    name: string,
    change: LeadershipChange,
  ): void {
    const fail = (err: unknown) =>
      this.logger.error(
        `@OnLeadership handler ${name} failed on ${change.role}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    try {
      const result = (instance[method] as (c: LeadershipChange) => unknown).call(instance, change);
      if (result instanceof Promise) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }
}
