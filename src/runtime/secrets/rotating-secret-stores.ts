/**
 * Where the OAuth2 refresh-token grant keeps a refresh token the provider rotates: Secrets Manager
 * (the poller; the CLI without --secrets) or the CLI's --secrets file. Both replace a value only if
 * the version read is still the current one (compare-and-set), so of two runs that refreshed with
 * the same token, the second cannot overwrite the first one's newer token with an older one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SecretsManagerClient, SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { secretsManagerModule } from '../aws-sdk/sdk-modules';
import type { RotatingSecretStore, SecretVersion } from '../ports/secrets';

/** The staging label a new value waits under until it is made current. */
const STAGED = 'API_INGEST_NEXT';

/**
 * Secrets Manager: the new value is put under its own staging label, then AWSCURRENT is moved to
 * it with `RemoveFromVersionId` set to the version read. Secrets Manager refuses that move when
 * AWSCURRENT is no longer on that version (UpdateSecretVersionStage), which is the compare.
 */
export function secretsManagerRotatingStore(config: SecretsManagerClientConfig = { maxAttempts: 3 }): RotatingSecretStore {
  let client: SecretsManagerClient | undefined;
  const connect = () => {
    client ??= new (secretsManagerModule().SecretsManagerClient)(config);
    return client;
  };
  return {
    async current(arnOrName): Promise<SecretVersion> {
      const sdk = secretsManagerModule();
      // AWSCURRENT named, though it is the default: moto's default version does not follow
      // UpdateSecretVersionStage (Secrets Manager's does), and the stage is what the compare is on.
      const result = await connect().send(new sdk.GetSecretValueCommand({ SecretId: arnOrName, VersionStage: 'AWSCURRENT' }));
      if (result.SecretString === undefined || result.VersionId === undefined) {
        throw new Error(`secret ${arnOrName} has no SecretString (binary secrets are not supported)`);
      }
      return { value: result.SecretString, versionId: result.VersionId };
    },
    async replace(arnOrName, expectedVersionId, value): Promise<boolean> {
      const sdk = secretsManagerModule();
      // The same request token on the SDK's own retries: one new version, however often it is sent.
      const put = await connect().send(new sdk.PutSecretValueCommand({
        SecretId: arnOrName, SecretString: value, ClientRequestToken: randomUUID(), VersionStages: [STAGED],
      }));
      try {
        await connect().send(new sdk.UpdateSecretVersionStageCommand({
          SecretId: arnOrName, VersionStage: 'AWSCURRENT', MoveToVersionId: put.VersionId, RemoveFromVersionId: expectedVersionId,
        }));
        return true;
      } catch (err) {
        if ((err as Error).name !== 'InvalidParameterException') throw err;
        // AWSCURRENT moved on since it was read: another run saved its token first.
        return false;
      }
    },
  };
}

/**
 * The CLI's --secrets file (a JSON object of secret name -> secret string). Its version is the
 * hash of the secret's value; a replacement is written to a new file that is renamed over the old,
 * so a reader sees the old file or the new one, never half of one.
 */
export function fileRotatingStore(file: string): RotatingSecretStore {
  const read = (): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8'));
  const versionOf = (value: string) => createHash('sha256').update(value).digest('hex');
  return {
    async current(arnOrName): Promise<SecretVersion> {
      const value = read()[arnOrName];
      if (typeof value !== 'string') throw new Error(`secret ${arnOrName} is not in --secrets ${file}`);
      return { value, versionId: versionOf(value) };
    },
    async replace(arnOrName, expectedVersionId, value): Promise<boolean> {
      const secrets = read();
      const now = secrets[arnOrName];
      if (typeof now !== 'string' || versionOf(now) !== expectedVersionId) return false;
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
      writeFileSync(temp, `${JSON.stringify({ ...secrets, [arnOrName]: value }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      renameSync(temp, file);
      return true;
    },
  };
}
