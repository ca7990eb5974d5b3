export * from './dynamic-partitioning';
export * from './feed-delivery-options';
export * from './time-partitioning';
