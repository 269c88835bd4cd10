import { renderLineChart } from './line-chart-svg.js';
import type { LookupBenchmarkResult, LookupBenchmarkRow } from './lookup-benchmark.js';
import {
  formatMarkdownTable,
  formatMilliseconds,
  formatRate,
  formatRatio,
  formatTable,
  type TableColumn,
} from './report.js';
import type { TimingSummary } from './statistics.js';

/**
 * The lookup benchmark's report: a caption and a table (plain text for stdout within 120 columns, or
 * markdown for the `.md` file), and a log-log figure of time against codebook size. Every number says its
 * unit and how many runs it is the median of, in the caption or the header, so the table can be pasted
 * alone into an issue.
 */
export function formatLookupTable(
  result: LookupBenchmarkResult,
  format: 'text' | 'markdown' = 'text',
): string {
  const { batch, runs } = result.config;
  const anchored = result.rows.some((row) => row.anchor !== undefined);
  const caption = [
    `lookup: B = ${batch} queries against N keys of D dims, float32; seed ${result.config.seed}.`,
    format === 'markdown'
      ? `Times in ms including read-back: median [min–max] of ${runs} runs after 1 warm-up.`
      : `Times in ms including read-back: median of ${runs} runs after 1 warm-up (min–max in the .md and JSON).`,
    'naive = plain-JS double loop in the same run; ratio = naive median / backend median (>1: backend faster).',
    'q·k·d/s = B·N·D / nearestKey median time. hits = share of queries whose key fired in lookup.',
  ];
  if (anchored) {
    caption.push(
      'torch = one-thread PyTorch addmm + argmin (cached norms), same shape, timed alternately in the same run;' +
        ' BLAS× = torch median / backend median (nearestKey, lookup); q·k·d/s in the JSON.',
    );
  }
  const columns: TableColumn[] = [
    { header: 'backend', align: 'left' },
    { header: 'N', align: 'right' },
    { header: 'D', align: 'right' },
    { header: 'naive ms', align: 'right' },
    { header: 'nearestKey ms', align: 'right' },
    { header: 'lookup ms', align: 'right' },
    ...(anchored ? [] : ([{ header: 'q·k·d/s', align: 'right' }] as const)),
    { header: 'naive/nearest', align: 'right' },
    { header: 'naive/lookup', align: 'right' },
    { header: 'hits', align: 'right' },
    ...(anchored
      ? ([
          { header: 'torch ms', align: 'right' },
          { header: 'BLAS×near', align: 'right' },
          { header: 'BLAS×look', align: 'right' },
        ] as const)
      : []),
  ];
  const rows = result.rows.map((row: LookupBenchmarkRow) => [
    row.backend,
    String(row.keys),
    String(row.dims),
    formatTiming(row.naive, format),
    formatTiming(row.nearestKey, format),
    formatTiming(row.lookup, format),
    ...(anchored ? [] : [formatRate(row.throughput.nearestKey)]),
    formatRatio(row.speedup.nearestKey),
    formatRatio(row.speedup.lookup),
    `${Math.round(row.hitRate * 100)}%`,
    ...(anchored
      ? [
          row.anchor === undefined ? '-' : formatTiming(row.anchor, format),
          row.blasRatio === undefined ? '-' : formatRatio(row.blasRatio.nearestKey),
          row.blasRatio === undefined ? '-' : formatRatio(row.blasRatio.lookup),
        ]
      : []),
  ]);
  return format === 'markdown'
    ? `${caption.join(' ')}\n\n${formatMarkdownTable(columns, rows)}`
    : `${caption.join('\n')}\n\n${formatTable(columns, rows)}`;
}

/** The issue-level target for exact search: at least this share of one-thread BLAS throughput. */
export const blasRatioTarget = 0.8;

/**
 * One line per backend and cell of D = 768 with 10,000 keys or more that the anchor ran on: its share of
 * one-thread BLAS throughput (nearestKey and lookup), met when both reach {@link blasRatioTarget}.
 */
export function formatBlasTargets(result: LookupBenchmarkResult): string[] {
  return result.rows
    .filter((row) => row.blasRatio !== undefined && row.dims === 768 && row.keys >= 10_000)
    .map((row) => {
      const ratio = row.blasRatio as NonNullable<LookupBenchmarkRow['blasRatio']>;
      const met = ratio.nearestKey >= blasRatioTarget && ratio.lookup >= blasRatioTarget;
      return (
        `target search ≥ ${blasRatioTarget}× one-thread BLAS, ${row.backend} N ${row.keys} D ${row.dims}: ` +
        `nearestKey ${formatRatio(ratio.nearestKey)}, lookup ${formatRatio(ratio.lookup)} — ${met ? 'met' : 'MISSED'}`
      );
    });
}

/** `nearestKey` and naive median time against N on log axes, one line per backend and D. */
export function renderLookupFigure(result: LookupBenchmarkResult): string {
  const series = [...new Set(result.rows.map((row) => `${row.backend}\u0000${row.dims}`))].map((key) => {
    const [backend, dims] = key.split('\u0000') as [string, string];
    return {
      name: `${backend} D ${dims}`,
      points: result.rows
        .filter((row) => row.backend === backend && String(row.dims) === dims)
        .map((row) => [row.keys, row.nearestKey.medianMs] as const),
    };
  });
  const naive = [...new Set(result.rows.map((row) => row.dims))].map((dims) => ({
    name: `naive JS D ${dims}`,
    points: result.rows
      .filter((row) => row.dims === dims && row.backend === result.backends[0])
      .map((row) => [row.keys, row.naive.medianMs] as const),
  }));
  return renderLineChart({
    title: `nearestKey, B = ${result.config.batch}: median of ${result.config.runs} runs`,
    xLabel: 'codebook size N (keys)',
    yLabel: 'ms per call',
    series: [...series, ...naive],
    xScale: 'log',
    yScale: 'log',
  });
}

/** The median, with the range in markdown (the text table must stay within 120 columns at any timing). */
function formatTiming(timing: TimingSummary, format: 'text' | 'markdown'): string {
  if (format === 'text') return formatMilliseconds(timing.medianMs);
  return `${formatMilliseconds(timing.medianMs)} [${formatMilliseconds(timing.minMs)}–${formatMilliseconds(timing.maxMs)}]`;
}
