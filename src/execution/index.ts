export * from './execution-mode';
