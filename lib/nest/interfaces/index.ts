export * from './gossip-module-options.interface';
