// Aligns rows into columns the way Go's tabwriter does for kubectl output (two spaces between
// columns), measuring what the terminal shows: ANSI colour codes take no room.
const ANSI = /\u001b\[[0-9;]*m/g;

export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, '')].length;
}

/** One line per row; trailing spaces are trimmed. */
export function alignColumns(rows: readonly (readonly string[])[], gap = 2): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleWidth(cell) + gap)))
      .join('')
      .trimEnd(),
  );
}
