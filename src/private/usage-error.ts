/**
 * A mistake in how the library is used (a prop, a builder argument, the spec), thrown at synth.
 *
 * Its stack is its message alone. The frames would be this library's internals (and, from
 * Python, the jsii kernel's), which say nothing the message does not: it names the construct,
 * the field and the fix. jsii prints an error's JavaScript stack before the Python traceback, so
 * a Python user now reads the message first instead of a dozen lines of JavaScript frames.
 */
export function usageError(message: string): Error {
  const error = new Error(message);
  error.stack = `${error.name}: ${message}`;
  return error;
}
