export * from './api-source';
export * from './auth';
export * from './incremental';
export * from './pagination';
export * from './partitions';
export * from './records';
export * from './record-schema';
export * from './transform';
