/**
 * The snapshot serializer masks exactly the hashes that change with the bundled code, in values and
 * in logical IDs, and nothing else (a masked snapshot must still fail on a real change).
 */
import { assetHashSerializer as serializer } from './hash-masking';

/** What jest's printer would be handed: here, the value as JSON, nested values printed by the serializer too. */
function print(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (!serializer.test(v)) return v;
    return typeof v === 'string' ? JSON.parse(serializer.serialize(v, {}, '', 0, [], undefined)) : serializer.serialize(v, {}, '', 0, [], (x: unknown) => x);
  });
}

test('masks asset hashes in values and a Lambda version\'s configuration hash in its logical ID and references to it', () => {
  const template = {
    Resources: {
      OrdersPollerCurrentVersion55BEE8AF51f70a7ff28c661b635201dfbbd0823c: { Type: 'AWS::Lambda::Version' },
      Alias: { Properties: { FunctionVersion: { 'Fn::GetAtt': ['OrdersPollerCurrentVersion55BEE8AF51f70a7ff28c661b635201dfbbd0823c', 'Version'] } } },
      Poller: { Properties: { Code: { S3Key: `${'ab12'.repeat(16)}.zip` } } },
    },
  };
  const printed = JSON.parse(print(template));
  expect(Object.keys(printed.Resources)).toEqual(['OrdersPollerCurrentVersion55BEE8AF[VERSION HASH]', 'Alias', 'Poller']);
  expect(printed.Resources.Alias.Properties.FunctionVersion['Fn::GetAtt']).toEqual(['OrdersPollerCurrentVersion55BEE8AF[VERSION HASH]', 'Version']);
  expect(printed.Resources.Poller.Properties.Code.S3Key).toBe('[ASSET HASH].zip');
});

test('leaves logical IDs, names and short hex alone (they change only with the template)', () => {
  const value = { OrdersDeliveryStream3891383E: { Name: 'deadbeef', Ref: 'OrdersPollerCurrentVersion55BEE8AF' } };
  expect(serializer.test(value)).toBe(false);
  expect(serializer.test('deadbeef')).toBe(false);
  expect(JSON.parse(print(value))).toEqual(value);
});
