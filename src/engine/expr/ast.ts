// The syntax tree the parser builds and the evaluator walks. `at` is the source offset of the
// node's token, kept for diagnostics.
import type { Value } from './values.ts';

export type Node =
  | { kind: 'literal'; at: number; value: Value }
  | { kind: 'array'; at: number; items: Node[] }
  | { kind: 'map'; at: number; entries: { key: Node; value: Node }[] }
  | { kind: 'ident'; at: number; name: string }
  /** `#` (name ''), `#index` or `#acc` inside a predicate; `.field` is a member of `#`. */
  | { kind: 'pointer'; at: number; name: string }
  | { kind: 'member'; at: number; object: Node; property: Node; optional: boolean }
  | { kind: 'slice'; at: number; object: Node; from: Node | undefined; to: Node | undefined }
  /** Boundary of an optional chain: a nil before `?.` makes the whole chain nil. */
  | { kind: 'chain'; at: number; node: Node }
  | { kind: 'unary'; at: number; op: string; operand: Node }
  | { kind: 'binary'; at: number; op: string; left: Node; right: Node }
  | { kind: 'conditional'; at: number; cond: Node; then: Node; otherwise: Node }
  | { kind: 'call'; at: number; name: string; args: Node[] }
  | { kind: 'predicate'; at: number; body: Node };

export interface Program {
  readonly source: string;
  readonly root: Node;
}
