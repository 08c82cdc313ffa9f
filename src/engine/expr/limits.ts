// Bounds that keep a hostile or careless condition from hanging or exhausting the controller.
// Real Argo conditions are a line long and walk a metric vector; these are far above that.

/** Longest accepted condition source, in UTF-16 units. */
export const MAX_SOURCE_LENGTH = 10_000;
/** Deepest accepted AST (also bounds parser and evaluator recursion). */
export const MAX_AST_DEPTH = 128;
/** Default evaluation budget: one step per node evaluated and per element a builtin touches. */
export const DEFAULT_MAX_STEPS = 500_000;
/** Largest array a range (`1..n`) may build. */
export const MAX_RANGE_LENGTH = 100_000;
/** Longest string an operation may build. */
export const MAX_STRING_LENGTH = 1_000_000;
/** Longest accepted regular expression for `matches`. */
export const MAX_REGEX_LENGTH = 1_000;
