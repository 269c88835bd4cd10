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
  const caption = [
    `lookup: B = ${batch} queries against N keys of D dims, float32; seed ${result.config.seed}.`,
    format === 'markdown'
      ? `Times in ms including read-back: median [min–max] of ${runs} runs after 1 warm-up.`
      : `Times in ms including read-back: median of ${runs} runs after 1 warm-up (min–max in the .md and JSON).`,
    'naive = plain-JS double loop in the same run; ratio = naive median / backend median (>1: backend faster).',
    'q·k·d/s = B·N·D / nearestKey median time. hits = share of queries whose key fired in lookup.',
  ];
  const columns: TableColumn[] = [
    { header: 'backend', align: 'left' },
    { header: 'N', align: 'right' },
    { header: 'D', align: 'right' },
    { header: 'naive ms', align: 'right' },
    { header: 'nearestKey ms', align: 'right' },
    { header: 'lookup ms', align: 'right' },
    { header: 'q·k·d/s', align: 'right' },
    { header: 'naive/nearest', align: 'right' },
    { header: 'naive/lookup', align: 'right' },
    { header: 'hits', align: 'right' },
  ];
  const rows = result.rows.map((row: LookupBenchmarkRow) => [
    row.backend,
    String(row.keys),
    String(row.dims),
    formatTiming(row.naive, format),
    formatTiming(row.nearestKey, format),
    formatTiming(row.lookup, format),
    formatRate(row.throughput.nearestKey),
    formatRatio(row.speedup.nearestKey),
    formatRatio(row.speedup.lookup),
    `${Math.round(row.hitRate * 100)}%`,
  ]);
  return format === 'markdown'
    ? `${caption.join(' ')}\n\n${formatMarkdownTable(columns, rows)}`
    : `${caption.join('\n')}\n\n${formatTable(columns, rows)}`;
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
