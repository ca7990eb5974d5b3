/**
 * What a JSONata transform's expression says, read from its syntax tree without running it: the
 * fields its result records can have (where the expression builds them: object constructors,
 * conditionals, blocks, `$merge` of constructors), and the field names it reads. The first lets
 * `validate` and synth refuse a schema column the transform can never fill; the second lets
 * `validate --sample` name a field the transform reads that the API's records do not have.
 */
import type jsonata from 'jsonata';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadJsonata = (): typeof jsonata => require('jsonata');

/** A node of JSONata's syntax tree, as far as this module reads it. */
interface Node {
  readonly type: string;
  readonly value?: unknown;
  readonly lhs?: unknown;
  readonly expressions?: Node[];
  readonly steps?: Node[];
  readonly then?: Node;
  readonly else?: Node;
  readonly arguments?: Node[];
  readonly procedure?: Node;
  readonly group?: unknown;
}

function union(shapes: Array<Set<string> | undefined>): Set<string> | undefined {
  if (shapes.some((shape) => shape === undefined)) return undefined;
  return new Set(shapes.flatMap((shape) => [...shape!]));
}

/** The fields of the records `node` evaluates to; undefined when the expression does not say (a path, `$`, a function). */
function shapeOf(node: Node | undefined): Set<string> | undefined {
  if (!node) return new Set();
  switch (node.type) {
    case 'unary':
      if (node.value === '{') {
        const pairs = node.lhs as Array<[Node, Node]>;
        if (!pairs.every(([key]) => key.type === 'string')) return undefined;
        return new Set(pairs.map(([key]) => String(key.value)));
      }
      return node.value === '[' ? union((node.expressions ?? []).map(shapeOf)) : undefined;
    case 'condition':
      return union([shapeOf(node.then), shapeOf(node.else)]);
    case 'block':
      return shapeOf(node.expressions?.[node.expressions.length - 1]);
    case 'path': {
      const steps = node.steps ?? [];
      const last = steps[steps.length - 1];
      // `undefined`: no record (filtered out).
      if (steps.length === 1 && last.type === 'name' && last.value === 'undefined') return new Set();
      // `items.{ ... }`, `$[filter].{ ... }`: each result is the last step's object.
      return node.group === undefined && last?.type === 'unary' && last.value === '{' ? shapeOf(last) : undefined;
    }
    case 'function': {
      const [list] = node.arguments ?? [];
      const merges = node.procedure?.value === 'merge' && node.arguments?.length === 1 && list.type === 'unary' && list.value === '[';
      return merges ? union((list.expressions ?? []).map(shapeOf)) : undefined;
    }
    default:
      return undefined;
  }
}

function parse(expression: string): Node | undefined {
  try {
    return loadJsonata()(expression).ast() as unknown as Node;
  } catch {
    return undefined; // does not compile: reported as such elsewhere
  }
}

/**
 * The top-level fields any record of the transform's result can have, or undefined when the
 * expression does not tell (it passes the input's fields through, or computes its keys).
 */
export function transformOutputFields(expression: string): ReadonlySet<string> | undefined {
  const ast = parse(expression);
  return ast ? shapeOf(ast) : undefined;
}

/** The field names the expression reads (path steps such as `user.login`'s `user` and `login`). */
export function transformReadFields(expression: string): string[] {
  const ast = parse(expression);
  if (!ast) return [];
  const names = new Set<string>();
  const visit = (value: unknown, key?: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item) => visit(item));
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const node = value as Node;
    if (node.type === 'name' && typeof node.value === 'string' && node.value !== 'undefined' && key !== 'key') names.add(node.value);
    for (const [child, inner] of Object.entries(node)) visit(inner, child);
  };
  visit(ast);
  return [...names];
}
