import { renderLineChart } from './line-chart-svg.js';
import { type LookupAnchorLibrary, lookupAnchorLibraries } from './lookup-anchor.js';
import type { AnchorTiming, LookupBenchmarkResult, LookupBenchmarkRow } from './lookup-benchmark.js';
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
  const libraries = anchorLibraries(result);
  const anchored = libraries.length > 0;
  const caption = [
    `lookup: B = ${batch} queries against N keys of D dims, float32; seed ${result.config.seed}.`,
    format === 'markdown'
      ? `Times in ms including read-back: median [min–max] of ${runs} runs after 1 warm-up.`
      : `Times in ms including read-back: median of ${runs} runs after 1 warm-up (min–max in the .md and JSON).`,
    anchored
      ? 'naive = plain-JS double loop in the same run (naive / backend ratios in the .md and JSON).'
      : 'naive = plain-JS double loop in the same run; ratio = naive median / backend median (>1: backend faster).',
    'q·k·d/s = B·N·D / nearestKey median time (multiply-adds/s). hits = share of queries whose key fired in lookup.',
    ...libraries.map((library) => `${library} = ${anchorDescriptions[library]}.`),
  ];
  if (anchored) {
    caption.push(
      "Anchors search the backends' queries and keys, timed alternately with them; answers checked against naive.",
      "<anchor>× n/l = anchor median / backend median, nearestKey / lookup: the share of the anchor's throughput.",
    );
  }
  // The text table stays within 120 columns: with anchors, the naive ratios move to the .md file and the JSON.
  const naiveRatios = format === 'markdown' || !anchored;
  const columns: TableColumn[] = [
    { header: 'backend', align: 'left' },
    { header: 'N', align: 'right' },
    { header: 'D', align: 'right' },
    { header: 'naive ms', align: 'right' },
    { header: 'nearestKey ms', align: 'right' },
    { header: 'lookup ms', align: 'right' },
    { header: 'q·k·d/s', align: 'right' },
    ...(naiveRatios
      ? ([
          { header: 'naive/nearest', align: 'right' },
          { header: 'naive/lookup', align: 'right' },
        ] as const)
      : []),
    { header: 'hits', align: 'right' },
    ...libraries.flatMap(
      (library) =>
        [
          { header: `${library} ms`, align: 'right' },
          { header: `${library}× n/l`, align: 'right' },
        ] as const,
    ),
  ];
  const rows = result.rows.map((row: LookupBenchmarkRow) => [
    row.backend,
    String(row.keys),
    String(row.dims),
    formatTiming(row.naive, format),
    formatTiming(row.nearestKey, format),
    formatTiming(row.lookup, format),
    formatRate(row.throughput.nearestKey),
    ...(naiveRatios ? [formatRatio(row.speedup.nearestKey), formatRatio(row.speedup.lookup)] : []),
    `${Math.round(row.hitRate * 100)}%`,
    ...libraries.flatMap((library) => {
      const anchor = row.anchors?.find((candidate) => candidate.library === library);
      if (anchor === undefined) return ['-', '-'];
      return [
        formatTiming(anchor.timing, format),
        `${anchor.ratio.nearestKey.toFixed(2)}/${anchor.ratio.lookup.toFixed(2)}`,
      ];
    }),
  ]);
  return format === 'markdown'
    ? `${caption.join(' ')}\n\n${formatMarkdownTable(columns, rows)}`
    : `${caption.join('\n')}\n\n${formatTable(columns, rows)}`;
}

/** The target for exact search: at least this share of one-thread BLAS throughput. */
export const blasRatioTarget = 0.8;

/** What each anchor runs, for captions and the targets' header. */
export const anchorDescriptions: Readonly<Record<LookupAnchorLibrary, string>> = {
  torch: 'one-thread PyTorch addmm + argmin (cached key norms)',
  faiss: 'one-thread faiss IndexFlatL2.search(queries, 1) (BLAS path, cached key norms)',
};

/**
 * The search target as lines to print (each within 120 columns): a header naming the reference (one-thread
 * PyTorch when it ran, as the target is stated; else faiss) and the anchor shown beside it; then, per cell of
 * D = 768 with 10,000 keys or more that anchors ran on, the anchors' throughput and one line per backend: its
 * throughput (nearestKey, lookup), its shares of each anchor's throughput, met when both reach
 * {@link blasRatioTarget}, and the verdict against the reference.
 */
export function formatBlasTargets(result: LookupBenchmarkResult): string[] {
  const libraries = anchorLibraries(result);
  const [reference, ...beside] = libraries;
  if (reference === undefined) return [];
  const rows = result.rows.filter(
    (row) => row.dims === 768 && row.keys >= 10_000 && row.anchors !== undefined,
  );
  if (rows.length === 0) return [];
  const lines = [
    `target: search ≥ ${blasRatioTarget}× one-thread BLAS throughput (nearestKey and lookup), judged against ` +
      `${reference}${beside.length === 0 ? '' : `; ${beside.join(', ')} beside it`}`,
  ];
  for (const [position, row] of rows.entries()) {
    const anchors = libraries.flatMap(
      (library) => row.anchors?.filter((anchor) => anchor.library === library) ?? [],
    );
    const previous = rows[position - 1];
    if (previous?.keys !== row.keys || previous.dims !== row.dims) {
      const rates = anchors.map((anchor) => `${anchor.library} ${formatRate(anchor.throughput)}`);
      lines.push(`target N ${row.keys} D ${row.dims}, anchors' q·k·d/s: ${rates.join(', ')}`);
    }
    const shares = anchors.map(
      (anchor) =>
        `${anchor.library}× ${anchor.ratio.nearestKey.toFixed(2)}/${anchor.ratio.lookup.toFixed(2)} ` +
        (meetsTarget(anchor) ? 'met' : 'MISSED'),
    );
    const referenceAnchor = anchors.find((anchor) => anchor.library === reference);
    const verdict =
      referenceAnchor === undefined ? 'not measured' : meetsTarget(referenceAnchor) ? 'met' : 'MISSED';
    lines.push(
      `  ${row.backend}: nearestKey ${formatRate(row.throughput.nearestKey)}, lookup ` +
        `${formatRate(row.throughput.lookup)} q·k·d/s; ${shares.join(', ')} — ${verdict}`,
    );
  }
  return lines;
}

/** Both of a backend's shares of the anchor's throughput (nearestKey, lookup) reach the target. */
function meetsTarget(anchor: AnchorTiming): boolean {
  return anchor.ratio.nearestKey >= blasRatioTarget && anchor.ratio.lookup >= blasRatioTarget;
}

/** The anchors that ran in `result`, in the order of {@link lookupAnchorLibraries} (PyTorch, the reference, first). */
function anchorLibraries(result: LookupBenchmarkResult): LookupAnchorLibrary[] {
  const present = new Set(result.rows.flatMap((row) => (row.anchors ?? []).map((anchor) => anchor.library)));
  return lookupAnchorLibraries.filter((library) => present.has(library));
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
