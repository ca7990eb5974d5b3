export * from './ingestion';
export * from './dead-letters';
export * from './delivery';
export * from './poller';
export * from './scheduling';
export * from './source';
export * from './storage';
export * from './formats';
