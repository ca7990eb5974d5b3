export * from './api-to-firehose-ingestion';
