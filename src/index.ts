export * from './ingestion';
export * from './delivery';
export * from './poller';
export * from './scheduling';
export * from './source';
