/** Secrets are read once per run, registered with the redactor as read, and never quoted in errors. */
import { REDACTED, SecretRedactor } from '../../../src/runtime/redaction/secret-redactor';
import { CachingSecretResolver, SecretFieldError } from '../../../src/runtime/secrets/secret-resolver';

describe('CachingSecretResolver', () => {
  function resolver(values: Record<string, string>) {
    const reads: string[] = [];
    const redactor = new SecretRedactor();
    const secrets = new CachingSecretResolver(async (arn) => {
      reads.push(arn);
      return values[arn];
    }, redactor);
    return { secrets, reads, redactor };
  }

  test('each secret is read once however many requests ask, and redacted from then on', async () => {
    const { secrets, reads, redactor } = resolver({ token: 'tok-123456' });
    await Promise.all([secrets.resolve({ arn: 'token' }), secrets.resolve({ arn: 'token' }), secrets.resolve({ arn: 'token' })]);
    expect(reads).toEqual(['token']);
    expect(redactor.redact('Bearer tok-123456')).toBe(`Bearer ${REDACTED}`);
  });

  test('a field of a JSON secret, and every value of a JSON secret, are redacted (numbers too)', async () => {
    const { secrets, redactor } = resolver({ creds: JSON.stringify({ username: 'svc', password: 'hunter2-long', pin: 2024 }) });
    expect(await secrets.resolve({ arn: 'creds', field: 'password' })).toBe('hunter2-long');
    await secrets.resolveJson({ arn: 'creds' });
    expect(redactor.redact('svc hunter2-long 2024')).toBe(`${REDACTED} ${REDACTED} ${REDACTED}`);
  });

  test('a secret that is not a JSON object, or lacks the field, is an error that never quotes the value', async () => {
    const { secrets } = resolver({ plain: 'not-json-secret-value', creds: JSON.stringify({ user: 'x' }) });
    await expect(secrets.resolve({ arn: 'plain', field: 'password' })).rejects.toThrow(SecretFieldError);
    await expect(secrets.resolve({ arn: 'plain', field: 'password' })).rejects.not.toThrow(/not-json-secret-value/);
    await expect(secrets.resolve({ arn: 'creds', field: 'password' })).rejects.toThrow('secret creds has no string field "password"');
  });
});
