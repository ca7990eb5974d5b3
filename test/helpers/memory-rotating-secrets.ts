/**
 * A rotating secret store in memory with Secrets Manager's compare-and-set semantics (the real
 * store is tested against moto in test/runtime/secrets/rotating-secret-stores.test.ts).
 */
import type { RotatingSecretStore, SecretVersion } from '../../src/runtime/ports/secrets';

export class MemoryRotatingSecrets implements RotatingSecretStore {
  private readonly versions = new Map<string, { value: string; versionId: string }>();
  private written = 0;
  /** Make the next replace throw, as a write refused by IAM would. */
  public failNextWrite: Error | undefined;

  constructor(initial: Record<string, string>) {
    for (const [name, value] of Object.entries(initial)) this.versions.set(name, { value, versionId: 'v0' });
  }

  public async current(name: string): Promise<SecretVersion> {
    const version = this.versions.get(name);
    if (!version) throw new Error(`no such secret: ${name}`);
    return { ...version };
  }

  public async replace(name: string, expectedVersionId: string, value: string): Promise<boolean> {
    if (this.failNextWrite) {
      const err = this.failNextWrite;
      this.failNextWrite = undefined;
      throw err;
    }
    if (this.versions.get(name)?.versionId !== expectedVersionId) return false;
    this.written += 1;
    this.versions.set(name, { value, versionId: `v${this.written}` });
    return true;
  }

  public json(name: string): Record<string, string> {
    return JSON.parse(this.versions.get(name)!.value);
  }
}
