export * from './ingestion';
export * from './source';
