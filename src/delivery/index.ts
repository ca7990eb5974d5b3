export * from './dynamic-partitioning';
