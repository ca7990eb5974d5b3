// jsii-docgen writes a jsii map (always string-keyed) as `typing.Mapping[V]` in API.python.md,
// which is not valid Python typing: a Mapping takes the key type too. This writes
// `typing.Mapping[str, V]`, the type the jsii runtime accepts (a dict with str keys).
const fs = require('node:fs');

const file = process.argv[2] ?? 'API.python.md';
const text = fs.readFileSync(file, 'utf8');
const fixed = text.replace(/typing\.Mapping\[(?!str, )/g, 'typing.Mapping[str, ');
fs.writeFileSync(file, fixed);
