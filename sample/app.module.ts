import { type DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { Registry } from 'prom-client';
import { GossipLeadershipModule, GossipModule } from '../lib';
import { GossipHealthIndicator } from '../lib/nest/health';
import { provideGossipClients } from '../lib/nest/microservices';
import { ChatController } from './chat.controller';
import { ChatGateway } from './chat.gateway';
import { ForwardingController } from './forwarding.controller';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { NODE_CONFIG, type NodeConfig } from './node-config';
import { RegistryController } from './registry.controller';
import { RegistryService } from './registry.service';
import { ReportJob } from './report.job';

@Module({})
export class AppModule {
  /** One registry instance; the options come from an injected config, as they would from @nestjs/config. */
  static forNode(config: NodeConfig): DynamicModule {
    const configModule: DynamicModule = {
      module: class NodeConfigModule {},
      providers: [{ provide: NODE_CONFIG, useValue: config }],
      exports: [NODE_CONFIG],
      global: true,
    };
    return {
      module: AppModule,
      imports: [
        configModule,
        GossipModule.forRootAsync({
          inject: [NODE_CONFIG],
          useFactory: (c: NodeConfig) => ({
            nodeId: c.id,
            bindAddr: c.gossipAddr,
            join: c.join,
            interval: c.interval,
            // Loopback demo: notice a killed node within a couple of seconds, forget it after 30 s.
            nodeExpiry: 30_000,
          }),
          controller: true, // GET /gossip/nodes, /gossip/nodes/:id, /gossip/local, the page /gossip/ui
          metrics: { registry: new Registry() }, // served by MetricsController at /metrics
        }),
        TerminusModule,
        // One-instance jobs (ReportJob). In production set `expectedSize` to the
        // replica count: the minority side of a partition then runs nothing.
        GossipLeadershipModule.forRoot(),
        ScheduleModule.forRoot(),
      ],
      controllers: [
        RegistryController,
        ForwardingController,
        MetricsController,
        HealthController,
        ChatController,
      ],
      providers: [
        RegistryService,
        ChatGateway, // GET /chat: the page; sample/cluster.ts sets GossipIoAdapter
        ReportJob,
        GossipHealthIndicator,
        ...provideGossipClients({ addressKey: 'rpc' }),
      ],
    };
  }
}
