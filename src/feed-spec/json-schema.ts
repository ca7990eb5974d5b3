/**
 * The published JSON Schema document of the spec: zod's schema plus an id and a title, so
 * editors can validate spec files that name it in "$schema".
 */
import { FEED_SPEC_VERSION, feedSpecJsonSchema } from './feed-spec';

export const FEED_SPEC_SCHEMA_ID = `https://cdk-api-ingestion.dev/schema/feed-spec.v${FEED_SPEC_VERSION}.json`;

export function feedSpecJsonSchemaDocument(): Record<string, unknown> {
  const { $schema, ...rest } = feedSpecJsonSchema();
  return {
    $schema,
    $id: FEED_SPEC_SCHEMA_ID,
    title: `cdk-api-ingestion feed spec, version ${FEED_SPEC_VERSION}`,
    ...rest,
  };
}
