// The two failure kinds of the expression language: syntax errors carry a source position (so
// `sluice lint` can point at them offline), evaluation errors carry only a message, as Argo reports them.

export class ExprSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'ExprSyntaxError';
    this.offset = offset;
  }
}

export class ExprEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExprEvalError';
  }
}

/** `line 1, column 12: expected ")"`: 1-based, columns counted in code points. */
export function formatSyntaxError(source: string, err: ExprSyntaxError): string {
  let line = 1;
  let column = 1;
  const upTo = Math.min(err.offset, source.length);
  for (let i = 0; i < upTo; i++) {
    const ch = source.charCodeAt(i);
    if (ch === 10) {
      line++;
      column = 1;
    } else if (ch < 0xdc00 || ch > 0xdfff) {
      // low surrogates continue the previous code point
      column++;
    }
  }
  return `line ${line}, column ${column}: ${err.message}`;
}
