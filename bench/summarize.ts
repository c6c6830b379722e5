// Medians and ranges of repeated measurements, and how the tables show them.

/** The median, minimum and maximum of some samples. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  count: number;
}

export function summarize(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new Error('no samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, count: sorted.length };
}

/** `1.23 s (1.10-1.40)` or `850 ms (800-900)`: the median, then the range. */
export function formatDuration(spread: Spread): string {
  const unit = spread.median >= 1000 ? 's' : 'ms';
  const show = (ms: number): string => (unit === 's' ? (ms / 1000).toFixed(2) : ms.toFixed(0));
  const range = spread.count > 1 ? ` (${show(spread.min)}-${show(spread.max)})` : '';
  return `${show(spread.median)} ${unit}${range}`;
}

/** A spread of plain numbers with `digits` decimals: `12.3 (11.9-13.0)`. */
export function formatNumber(spread: Spread, digits = 0): string {
  const range =
    spread.count > 1 && spread.min !== spread.max
      ? ` (${spread.min.toFixed(digits)}-${spread.max.toFixed(digits)})`
      : '';
  return `${spread.median.toFixed(digits)}${range}`;
}

/** A markdown table from a header and rows of cells. */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const align = header.map((_, index) => (index === 0 ? '---' : '---:'));
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
