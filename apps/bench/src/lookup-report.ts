import type { LookupBenchmarkResult, LookupBenchmarkRow } from './lookup-benchmark.js';
import { formatMilliseconds, formatRate, formatRatio, formatTable, type TableColumn } from './report.js';
import type { TimingSummary } from './statistics.js';

/**
 * The lookup benchmark's table for stdout. Every number says its unit and how many runs it is the median
 * of, in the caption or the header, so the table can be pasted alone into an issue.
 */
export function formatLookupTable(result: LookupBenchmarkResult): string {
  const { batch, runs } = result.config;
  const caption = [
    `lookup: B = ${batch} queries against N keys of D dims, float32; seed ${result.config.seed}.`,
    `Times in ms including read-back: median [min–max] of ${runs} runs after 1 warm-up.`,
    'naive = plain-JS double loop in the same run; ratio = naive median / backend median (>1: backend faster).',
    'throughput = B·N·D / median time, in query-key-dims/s. hits = share of queries whose key fired in lookup.',
  ].join('\n');
  const columns: TableColumn[] = [
    { header: 'backend', align: 'left' },
    { header: 'N keys', align: 'right' },
    { header: 'D dims', align: 'right' },
    { header: `naive ms (median of ${runs})`, align: 'right' },
    { header: `nearestKey ms (median of ${runs})`, align: 'right' },
    { header: `lookup ms (median of ${runs})`, align: 'right' },
    { header: 'nearestKey query-key-dims/s', align: 'right' },
    { header: 'naive/nearestKey', align: 'right' },
    { header: 'naive/lookup', align: 'right' },
    { header: 'hits', align: 'right' },
  ];
  const rows = result.rows.map((row: LookupBenchmarkRow) => [
    row.backend,
    String(row.keys),
    String(row.dims),
    formatTiming(row.naive),
    formatTiming(row.nearestKey),
    formatTiming(row.lookup),
    formatRate(row.throughput.nearestKey),
    formatRatio(row.speedup.nearestKey),
    formatRatio(row.speedup.lookup),
    `${Math.round(row.hitRate * 100)}%`,
  ]);
  return `${caption}\n\n${formatTable(columns, rows)}`;
}

function formatTiming(timing: TimingSummary): string {
  return `${formatMilliseconds(timing.medianMs)} [${formatMilliseconds(timing.minMs)}–${formatMilliseconds(timing.maxMs)}]`;
}
