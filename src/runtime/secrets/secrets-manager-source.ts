/**
 * Secret strings from AWS Secrets Manager (the Lambda's source; the local command's too). The SDK
 * module is loaded on the first read: most feeds name no secret, and loading it at init would add
 * to every cold start.
 */
import type { SecretsManagerClient, SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import type { SecretStringSource } from '../ports/secrets';

export function secretsManagerSource(config: SecretsManagerClientConfig = { maxAttempts: 3 }): SecretStringSource {
  let client: SecretsManagerClient | undefined;
  return async (arnOrName) => {
    const sdk = loadSecretsManager();
    client ??= new sdk.SecretsManagerClient(config);
    const result = await client.send(new sdk.GetSecretValueCommand({ SecretId: arnOrName }));
    if (result.SecretString === undefined) {
      throw new Error(`secret ${arnOrName} has no SecretString (binary secrets are not supported)`);
    }
    return result.SecretString;
  };
}

// require() at first use, not import(), which would load the SDK's ES module build as a second copy.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadSecretsManager = (): typeof import('@aws-sdk/client-secrets-manager') => require('@aws-sdk/client-secrets-manager');
