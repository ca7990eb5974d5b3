/**
 * Drops the keys whose value is `undefined`, so spreading a user's props over secure defaults
 * replaces only what the user really set: `{ enforceSSL: undefined }` (what a Python `None`
 * or an optional field left empty can turn into) must not remove a default by accident.
 */
export function definedOnly<T extends object>(props: T): T {
  return Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined)) as T;
}
