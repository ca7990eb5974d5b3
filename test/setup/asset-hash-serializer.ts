/**
 * Jest snapshot serializer: masks content hashes that change with every edit of the bundled Lambda
 * (see hash-masking.ts), so snapshots change only when the template really does.
 */
import { assetHashSerializer } from './hash-masking';

export = assetHashSerializer;
