#!/usr/bin/env node
/* global process, console */
// A Nest 12 ES-module application as a user would write it in plain
// JavaScript (no compiler, so decorators are applied as functions), run by
// `scripts/nest12-smoke.mjs` under plain node against the packed tarball.
// Configuration comes from the environment, as strings, the way
// `@nestjs/config` hands it over:
//   GOSSIP_NODE_ID, GOSSIP_BIND, GOSSIP_SEEDS ("a:7946,b:7946"), GOSSIP_INTERVAL,
//   GOSSIP_JOIN_MODE ("wait" | "background"), HTTP_PORT.
// Prints `READY {"gossip":..., "http":...}` once listening; SIGTERM leaves and exits.
import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { GossipDiscoveryService, GossipModule, GossipService, OnGossipEvent } from 'nestjs-gossip';
import { GossipHealthIndicator } from 'nestjs-gossip/health';
import { GOSSIP_DEFAULTS } from 'nestjs-gossip/engine';

const env = process.env;

/** Logs membership as the user of issue 11 wanted: the current list first, then each change. */
class Membership {
  constructor(discovery) {
    this.discovery = discovery;
  }
  onApplicationBootstrap() {
    this.discovery
      .members$()
      .subscribe((members) => console.log(`members ${members.map((m) => m.id).join(',')}`));
  }
  onEvent(event) {
    console.log(`event ${event.type} ${event.nodeId}`);
  }
}
Injectable()(Membership);
Inject(GossipDiscoveryService)(Membership, undefined, 0);
const onEvent = Object.getOwnPropertyDescriptor(Membership.prototype, 'onEvent');
OnGossipEvent('join')(Membership.prototype, 'onEvent', onEvent);
OnGossipEvent('leave')(Membership.prototype, 'onEvent', onEvent);

class HealthController {
  constructor(health, gossip) {
    this.health = health;
    this.gossip = gossip;
  }
  check() {
    return this.health.check([() => this.gossip.isHealthy('gossip', { minMembers: 1 })]);
  }
}
Controller('health')(HealthController);
Inject(HealthCheckService)(HealthController, undefined, 0);
Inject(GossipHealthIndicator)(HealthController, undefined, 1);
const check = Object.getOwnPropertyDescriptor(HealthController.prototype, 'check');
HealthCheck()(HealthController.prototype, 'check', check);
Get()(HealthController.prototype, 'check', check);

class AppModule {}
Module({
  imports: [
    GossipModule.forRootAsync({
      useFactory: () => ({
        nodeId: env.GOSSIP_NODE_ID,
        bindAddr: env.GOSSIP_BIND ?? ':7946',
        join: env.GOSSIP_SEEDS ?? '',
        interval: env.GOSSIP_INTERVAL ?? String(GOSSIP_DEFAULTS.interval),
        joinOnBootstrap: env.GOSSIP_JOIN_MODE ?? 'wait',
      }),
      controller: true,
    }),
    TerminusModule,
  ],
  controllers: [HealthController],
  providers: [Membership, GossipHealthIndicator],
})(AppModule);

const app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'] });
app.enableShutdownHooks();
await app.listen(Number(env.HTTP_PORT ?? 0), '127.0.0.1');
const gossip = app.get(GossipService);
console.log(
  `READY ${JSON.stringify({ gossip: gossip.localNode().addr, http: (await app.getUrl()).replace('[::1]', '127.0.0.1') })}`,
);
