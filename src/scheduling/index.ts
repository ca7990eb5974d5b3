export * from './feed-schedule-props';
