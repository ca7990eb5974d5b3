/**
 * Reads secret values at run time. The spec names a secret (ARN and optional JSON field); the
 * value exists only in the poller's memory, and is registered with the redactor the moment it
 * is read, so it can never be logged.
 */
import type { SecretRef } from '../../feed-spec/feed-spec';
import type { Redactor } from '../ports/redactor';
import type { SecretResolver, SecretStringSource } from '../ports/secrets';

export class SecretFieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretFieldError';
  }
}

/** A resolver over any source of secret strings, caching each secret for the run. */
export class CachingSecretResolver implements SecretResolver {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(private readonly source: SecretStringSource, private readonly redactor: Redactor) {}

  public async resolve(ref: SecretRef): Promise<string> {
    const raw = await this.raw(ref.arn);
    if (ref.field === undefined) {
      return raw;
    }
    const value = this.parse(raw, ref.arn)[ref.field];
    if (typeof value !== 'string' || value === '') {
      throw new SecretFieldError(`secret ${ref.arn} has no string field "${ref.field}"`);
    }
    this.redactor.add(value);
    return value;
  }

  public async resolveJson(ref: SecretRef): Promise<Record<string, string>> {
    const parsed = this.parse(await this.raw(ref.arn), ref.arn);
    for (const value of Object.values(parsed) as unknown[]) {
      if (typeof value === 'string' || typeof value === 'number') this.redactor.add(value);
    }
    return parsed;
  }

  private raw(arn: string): Promise<string> {
    let pending = this.cache.get(arn);
    if (!pending) {
      pending = this.source(arn).then((value) => {
        this.redactor.add(value);
        return value;
      });
      this.cache.set(arn, pending);
    }
    return pending;
  }

  private parse(raw: string, arn: string): Record<string, string> {
    try {
      const parsed = JSON.parse(raw);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
    } catch {
      // fall through: the message must not include the value
    }
    throw new SecretFieldError(`secret ${arn} is not a JSON object (the value is not shown)`);
  }
}
