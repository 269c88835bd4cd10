import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname } from 'node:path';

/**
 * The JSON file every benchmark writes. It carries the machine and the configuration next to the rows
 * because a timing means nothing without them, and results from different days are compared by reading
 * these files side by side.
 */
export interface BenchmarkReport<Config, Row> {
  readonly benchmark: string;
  /** ISO 8601 time the report was made. */
  readonly date: string;
  readonly nodeVersion: string;
  /** `os.cpus()[0].model`, or `unknown` where the platform does not say. */
  readonly cpuModel: string;
  readonly cpuCount: number;
  /** The backend names, in the order they were asked for. */
  readonly backends: readonly string[];
  readonly config: Config;
  readonly rows: readonly Row[];
}

/** Wraps a benchmark's rows with the facts about the machine that produced them. */
export function createBenchmarkReport<Config, Row>(
  benchmark: string,
  backends: readonly string[],
  config: Config,
  rows: readonly Row[],
  date: Date = new Date(),
): BenchmarkReport<Config, Row> {
  const processors = cpus();
  return {
    benchmark,
    date: date.toISOString(),
    nodeVersion: process.version,
    cpuModel: processors[0]?.model ?? 'unknown',
    cpuCount: processors.length,
    backends,
    config,
    rows,
  };
}

/** Writes a report as indented JSON, creating the folder (results/ is not in git, so it may be missing). */
export async function writeJsonReport(
  path: string,
  report: BenchmarkReport<unknown, unknown>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}

/** One column of a text table; numbers read best right-aligned. */
export interface TableColumn {
  /** Should carry the unit, e.g. `nearestKey ms (median of 5)`. */
  readonly header: string;
  readonly align: 'left' | 'right';
}

/**
 * Formats rows as a plain-text table with a header and a rule, padded to the widest cell of each column.
 * Plain text rather than a library's box drawing, so that the output pastes into issues and logs intact.
 */
export function formatTable(columns: readonly TableColumn[], rows: readonly (readonly string[])[]): string {
  for (const row of rows) {
    if (row.length !== columns.length) {
      throw new RangeError(`a table row has ${row.length} cells but the table has ${columns.length} columns`);
    }
  }
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...rows.map((row) => row[index].length)),
  );
  const formatLine = (cells: readonly string[]) =>
    cells
      .map((cell, index) =>
        columns[index].align === 'right' ? cell.padStart(widths[index]) : cell.padEnd(widths[index]),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [formatLine(columns.map((column) => column.header)), rule, ...rows.map(formatLine)].join('\n');
}

/**
 * The same table as markdown (GitHub's pipe table), for the `.md` report written next to the JSON: columns
 * are aligned by the renderer, so cells are not padded.
 */
export function formatMarkdownTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly string[])[],
): string {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  const rule = `|${columns.map((column) => (column.align === 'right' ? '---:' : '---')).join('|')}|`;
  return [line(columns.map((column) => column.header)), rule, ...rows.map(line)].join('\n');
}

/**
 * Writes what a reader looks at next to a benchmark's JSON file: `<name>.md` (the markdown given) and one
 * `<name>-<suffix>.svg` per figure, where `<name>` is the JSON path without `.json`. Returns the paths.
 */
export async function writeReportCompanions(
  jsonPath: string,
  markdown: string,
  figures: readonly { readonly suffix: string; readonly svg: string }[],
): Promise<string[]> {
  const base = jsonPath.replace(/\.json$/, '');
  await mkdir(dirname(jsonPath), { recursive: true });
  const paths = [`${base}.md`, ...figures.map((figure) => `${base}-${figure.suffix}.svg`)];
  await writeFile(paths[0] as string, `${markdown}\n`);
  for (const [index, figure] of figures.entries()) await writeFile(paths[index + 1] as string, figure.svg);
  return paths;
}

/** Milliseconds with three significant digits (0.123, 12.3, 1234), enough to compare medians. */
export function formatMilliseconds(milliseconds: number): string {
  if (milliseconds >= 999.5) return milliseconds.toFixed(0);
  return milliseconds.toPrecision(3);
}

/** A rate with an SI prefix (`1.23 G`), so rates from 1e5 to 1e11 stay readable in one column. */
export function formatRate(perSecond: number): string {
  const prefixes = ['', 'k', 'M', 'G', 'T'];
  let scaled = perSecond;
  let prefix = 0;
  while (Math.abs(scaled) >= 1000 && prefix < prefixes.length - 1) {
    scaled /= 1000;
    prefix++;
  }
  return `${scaled.toPrecision(3)} ${prefixes[prefix]}`.trimEnd();
}

/** A ratio such as a speed-up, with two decimals (`1.85x`). */
export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}x`;
}

/** A relative change as a signed percentage with one decimal (`+2.9%`, `-7.1%`): an overhead over a baseline. */
export function formatSignedPercent(ratio: number): string {
  return `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(1)}%`;
}
