/** Secret strings from AWS Secrets Manager (the Lambda's source; the local command's too). */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretStringSource } from '../ports/secrets';

export function secretsManagerSource(client = new SecretsManagerClient({ maxAttempts: 3 })): SecretStringSource {
  return async (arnOrName) => {
    const result = await client.send(new GetSecretValueCommand({ SecretId: arnOrName }));
    if (result.SecretString === undefined) {
      throw new Error(`secret ${arnOrName} has no SecretString (binary secrets are not supported)`);
    }
    return result.SecretString;
  };
}
