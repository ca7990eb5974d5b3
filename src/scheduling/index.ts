export * from './feed-schedule-options';
