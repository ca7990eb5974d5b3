/**
 * The jest snapshot serializer's masking: masks content hashes (asset object keys, asset hashes in metadata, and
 * the hash in a Lambda version's logical ID, which aws-cdk-lib derives from the function's
 * configuration, its code's asset hash included), which change with every edit of the bundled
 * Lambda, so snapshots change only when the template really does.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;
/** `<Function>CurrentVersion<path hash, 8 upper-case hex><configuration hash, 32 hex>`. */
const VERSION_ID = /(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}/g;

function masked(text: string): string {
  return text.replace(ASSET_HASH, '[ASSET HASH]').replace(VERSION_ID, '$1[VERSION HASH]');
}

function hasHash(text: string): boolean {
  return masked(text) !== text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** The jest serializer (the default export of asset-hash-serializer.ts, which jest's configuration names). */
export const assetHashSerializer = {
  test: (value: unknown): boolean => (typeof value === 'string' && hasHash(value))
    || (isPlainObject(value) && Object.keys(value).some(hasHash)),
  serialize: (value: unknown, config: any, indentation: string, depth: number, refs: any, printer: any): string => {
    if (typeof value === 'string') return JSON.stringify(masked(value));
    const renamed = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, v]) => [masked(key), v]));
    return printer(renamed, config, indentation, depth, refs);
  },
};
