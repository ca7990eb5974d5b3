/** The existingXxx-or-xxxProps choice every wrapped resource makes, and the key of a new one. */
import * as kms from 'aws-cdk-lib/aws-kms';
import { existingOrNew, keyOfNewResource } from '../../src/private/existing-or-new';
import { testStack } from '../helpers/synth';

const synthError = (message: string): never => { throw new Error(message); };
const names = { existing: 'existingThing', props: 'thingProps', resource: 'thing' };

describe('existingOrNew', () => {
  test('the existing resource when given; both given is an error naming both props and the fix', () => {
    const existing = { name: 'mine' };
    expect(existingOrNew(existing, undefined, names, synthError)).toEqual({ existing });
    expect(() => existingOrNew(existing, { size: 1 }, names, synthError))
      .toThrow('existingThing and thingProps are both set; thingProps configures a new thing. Remove one of them');
  });

  test('for a new resource, only the props the user set: an undefined one cannot remove a default', () => {
    expect(existingOrNew(undefined, { size: 1, enforceSSL: undefined }, names, synthError)).toEqual({ overrides: { size: 1 } });
    expect(existingOrNew(undefined, undefined, names, synthError)).toEqual({ overrides: {} });
  });
});

describe('keyOfNewResource', () => {
  test('its own key or the construct\'s encryptionKey; two different keys is an error that says which to remove', () => {
    const stack = testStack();
    const a = new kms.Key(stack, 'A');
    const b = new kms.Key(stack, 'B');
    expect(keyOfNewResource(undefined, a, 'thingProps.key', 'thing', synthError)).toBe(a);
    expect(keyOfNewResource(b, undefined, 'thingProps.key', 'thing', synthError)).toBe(b);
    expect(keyOfNewResource(a, a, 'thingProps.key', 'thing', synthError)).toBe(a);
    expect(() => keyOfNewResource(b, a, 'thingProps.key', 'thing', synthError))
      .toThrow('thingProps.key and encryptionKey are different keys; remove thingProps.key to use encryptionKey for the thing too');
  });
});
