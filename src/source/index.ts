export * from './api-source';
export * from './records';
