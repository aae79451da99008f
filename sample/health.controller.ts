import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { GossipHealthIndicator } from '../lib/nest/health';

/** `GET /health`: 200 once the node has joined, 503 while joining or after it left (a readiness probe). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly gossip: GossipHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.gossip.isHealthy('gossip')]);
  }
}
