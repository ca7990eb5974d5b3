export * from './poller-props';
