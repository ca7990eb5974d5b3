export * from './execution-mode';
export * from './shared-rate-budget';
