/**
 * Secret strings from AWS Secrets Manager (the Lambda's source; the local command's too). The SDK
 * module is loaded on the first read: most feeds name no secret, and loading it at init would add
 * to every cold start.
 */
import type { SecretsManagerClient, SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { secretsManagerModule } from '../aws-sdk/sdk-modules';
import type { SecretStringSource } from '../ports/secrets';

export function secretsManagerSource(config: SecretsManagerClientConfig = { maxAttempts: 3 }): SecretStringSource {
  let client: SecretsManagerClient | undefined;
  return async (arnOrName) => {
    const sdk = secretsManagerModule();
    client ??= new sdk.SecretsManagerClient(config);
    // The current version by its stage (the default), as the refresh-token grant's writes move it.
    const result = await client.send(new sdk.GetSecretValueCommand({ SecretId: arnOrName, VersionStage: 'AWSCURRENT' }));
    if (result.SecretString === undefined) {
      throw new Error(`secret ${arnOrName} has no SecretString (binary secrets are not supported)`);
    }
    return result.SecretString;
  };
}
