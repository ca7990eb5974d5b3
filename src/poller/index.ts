export * from './poller-options';
