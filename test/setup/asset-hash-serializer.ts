/**
 * Jest snapshot serializer: masks content hashes (asset object keys, asset hashes in metadata),
 * which change with every edit of the bundled Lambda, so snapshots change only when the
 * template really does.
 */
const HASH = /[0-9a-f]{64}/g;

export = {
  test: (value: unknown): boolean => typeof value === 'string' && /[0-9a-f]{64}/.test(value),
  serialize: (value: string): string => JSON.stringify(value.replace(HASH, '[ASSET HASH]')),
};
