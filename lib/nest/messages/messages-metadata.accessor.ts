import { Injectable, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CLUSTER_MESSAGE_METADATA, CLUSTER_QUERY_METADATA } from './messages.constants';
import type { OnClusterMessageMetadata } from './on-cluster-message.decorator';
import type { OnClusterQueryMetadata } from './on-cluster-query.decorator';

/** Reads what `@OnClusterMessage` and `@OnClusterQuery` recorded on a method. */
@Injectable()
export class MessagesMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  messageHandlers(method: unknown): OnClusterMessageMetadata[] {
    return this.read<OnClusterMessageMetadata>(CLUSTER_MESSAGE_METADATA, method);
  }

  queryHandlers(method: unknown): OnClusterQueryMetadata[] {
    return this.read<OnClusterQueryMetadata>(CLUSTER_QUERY_METADATA, method);
  }

  private read<T>(key: string, method: unknown): T[] {
    // Reflector.get needs a function or class; methods are functions.
    if (typeof method !== 'function') return [];
    return this.reflector.get<T[] | undefined>(key, method as Type<unknown>) ?? [];
  }
}
