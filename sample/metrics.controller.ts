import { Controller, Get, Header } from '@nestjs/common';
import { GossipService } from '../lib';

/**
 * `GET /metrics` for Prometheus: this node's own registry, so three nodes
 * in one process (`npm start`) do not serve each other's series.
 */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly gossip: GossipService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.gossip.metrics.registry.metrics();
  }
}
