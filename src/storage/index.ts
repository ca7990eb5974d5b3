export * from './feed-bucket-options';
export * from './feed-state-table-options';
