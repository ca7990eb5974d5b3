export * from './dynamic-partitioning';
export * from './feed-delivery-options';
