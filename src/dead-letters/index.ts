export * from './feed-dead-letter-queue-options';
