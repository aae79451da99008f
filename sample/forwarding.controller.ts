import {
  Controller,
  Get,
  Header,
  Inject,
  Param,
  ServiceUnavailableException,
} from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { GossipClients, GossipTransportError } from '../lib/nest/microservices';
import { NODE_CONFIG, type NodeConfig } from './node-config';

/** What the owner of a key answers. */
export interface WorkResult {
  key: string;
  /** The node that did the work: the key's owner as the forwarding node saw it. */
  servedBy: string;
  /** The node that took the HTTP request and forwarded it. */
  via: string;
}

/**
 * Sharding by key: any node accepts `GET /work/:key` and forwards it over the
 * microservice TCP transport to the key's owner (rendezvous hashing over the
 * nodes that advertise an `rpc` address). If the owner just crashed and the
 * failure detector has not noticed yet, the forward fails and the caller gets
 * a 503 to retry; once the owner is suspected, the next owner serves it.
 */
@Controller('work')
export class ForwardingController {
  private readonly id: string;

  constructor(
    private readonly clients: GossipClients,
    @Inject(NODE_CONFIG) config: NodeConfig,
  ) {
    this.id = config.id;
  }

  @Get(':key')
  @Header('Cache-Control', 'no-store')
  async work(@Param('key') key: string): Promise<WorkResult> {
    try {
      const { result } = await this.clients.sendToOwner<WorkResult>(key, 'work', {
        key,
        via: this.id,
      });
      return result;
    } catch (err) {
      if (err instanceof GossipTransportError) {
        throw new ServiceUnavailableException(`${err.message}; retry`);
      }
      throw err;
    }
  }

  /** The owner's side, over TCP. */
  @MessagePattern('work')
  serve(@Payload() request: { key: string; via: string }): WorkResult {
    return { key: request.key, servedBy: this.id, via: request.via };
  }
}
