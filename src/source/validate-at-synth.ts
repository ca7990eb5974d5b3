/**
 * Validates a feed spec at synth when some of its values are CDK tokens: a URL from an API
 * Gateway stage, a host from an SSM parameter, a number from a CfnParameter. Their values exist
 * only at deploy time. The rest of the spec is checked now; a value that is a token as a whole
 * is left to the poller, which validates every spec it receives; a value with a token inside
 * (`https://${apiId}.execute-api.${region}.amazonaws.com/prod/`) is checked around the token;
 * a URL that starts with one (`${functionUrl}stations`) is checked with a URL in its place.
 */
import { Token, Tokenization } from 'aws-cdk-lib';
import { SpecProblem, specDepthProblem, validateFeedSpec } from '../feed-spec/feed-spec';

// Stand-ins for a token inside a string. A problem there is reported only if the value is wrong
// with either stand-in: `ftp://${host}/` is wrong whatever the host, `https://api:${port}/` is not.
const WORD = 'token';
const DIGIT = '1';
// A value that is one token as a whole, where an absolute URL is expected.
const URL_PLACEHOLDER = 'https://token.invalid/';

interface TokenPaths {
  /** Values that are a token as a whole: not checked at synth. */
  readonly whole: Set<string>;
  /** Strings with a token inside: checked with each stand-in. */
  readonly inside: Set<string>;
}

/** Every problem in `spec` that can be known at synth. */
export function specProblemsAtSynth(spec: unknown): SpecProblem[] {
  const deep = specDepthProblem(spec);
  if (deep) return [deep];
  const paths: TokenPaths = { whole: new Set(), inside: new Set() };
  const withWord = validateFeedSpec(replaceTokens(spec, 'spec', '', WORD, paths));
  if (withWord.ok) return [];
  if (paths.whole.size === 0 && paths.inside.size === 0) return withWord.problems;
  const withDigit = validateFeedSpec(replaceTokens(spec, 'spec', '', DIGIT, paths));
  const alsoWithDigit = new Set(withDigit.ok ? [] : withDigit.problems.map((problem) => problem.path));
  return withWord.problems.filter((problem) => !paths.whole.has(problem.path)
    && (!paths.inside.has(problem.path) || alsoWithDigit.has(problem.path)));
}

/**
 * The spec with each deploy-time value replaced by a stand-in of its kind (a URL for a URL that is
 * or starts with a token), for synth-time analysis of its shape: the schema, the cursor, the
 * templates. Never for the deployed spec, which keeps its tokens for CloudFormation to resolve.
 */
export function specWithStandIns(spec: unknown): unknown {
  return replaceTokens(spec, 'spec', '', WORD, { whole: new Set(), inside: new Set() });
}

function replaceTokens(value: unknown, path: string, key: string, standIn: string, paths: TokenPaths): unknown {
  if (typeof value === 'string') {
    if (!Token.isUnresolved(value)) return value;
    const fragments = Tokenization.reverseString(value);
    if (fragments.length === 1 && fragments.firstToken !== undefined) {
      paths.whole.add(path);
      return key === 'url' ? URL_PLACEHOLDER : WORD;
    }
    paths.inside.add(path);
    // A URL that starts with a token starts with an origin known at deployment (a function URL or
    // an API Gateway stage URL, then a path): the origin stands in as a URL, the rest is checked.
    let leadingOrigin = key === 'url' && Token.isUnresolved(fragments.firstValue);
    const mapToken = () => {
      const standInHere = leadingOrigin ? URL_PLACEHOLDER : standIn;
      leadingOrigin = false;
      return standInHere;
    };
    return fragments.mapTokens({ mapToken }).join({ join: (left: unknown, right: unknown) => `${left}${right}` });
  }
  if (typeof value === 'number') {
    if (!Token.isUnresolved(value)) return value;
    paths.whole.add(path);
    return 1;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => replaceTokens(item, `${path}[${index}]`, key, standIn, paths));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, replaceTokens(item, `${path}.${name}`, name, standIn, paths)]));
  }
  return value;
}
