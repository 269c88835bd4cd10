import type { DeviceGrowthRow } from './device-growth.js';
import { blasRatioTarget } from './lookup-report.js';
import {
  formatMarkdownTable,
  formatMilliseconds,
  formatRatio,
  formatTable,
  type TableColumn,
} from './report.js';
import type { TimingSummary } from './statistics.js';
import type { DeviceSearchRow, SingleAndQueued } from './webgpu-device-benchmark.js';

/** The growth target: an append and the next lookup at 100,000 keys within this factor of the same at 0 keys. */
export const growthRatioTarget = 1.2;

const columns: readonly TableColumn[] = [
  { header: 'N', align: 'right' },
  { header: 'engine', align: 'left' },
  { header: 'ms/call', align: 'right' },
  { header: 'GMAC/s', align: 'right' },
  { header: 'queued ms/call', align: 'right' },
  { header: 'queued GMAC/s', align: 'right' },
];

/** Giga multiply-adds per second of one search of B·N·D at `timing`'s median. */
export function gigaMultiplyAdds(row: DeviceSearchRow, timing: TimingSummary): number {
  return (row.batch * row.keys * row.dims) / (timing.medianMs / 1000) / 1e9;
}

function engineLines(
  row: DeviceSearchRow,
): { name: string; single: TimingSummary; queued?: TimingSummary }[] {
  const pair = (name: string, timings: SingleAndQueued) => ({ name, ...timings });
  return [
    pair('webgpu nearestKey', row.nearestKey),
    pair('webgpu lookup', row.lookup),
    ...(row.torchCuda === undefined ? [] : [pair('torch cuda addmm+argmin', row.torchCuda)]),
    ...(row.torchCpu === undefined ? [] : [{ name: 'torch cpu 1 thread', single: row.torchCpu }]),
  ];
}

function tableRows(rows: readonly DeviceSearchRow[]): string[][] {
  return rows.flatMap((row) =>
    engineLines(row).map((line) => [
      String(row.keys),
      line.name,
      formatMilliseconds(line.single.medianMs),
      gigaMultiplyAdds(row, line.single).toPrecision(3),
      line.queued === undefined ? '' : formatMilliseconds(line.queued.medianMs),
      line.queued === undefined ? '' : gigaMultiplyAdds(row, line.queued).toPrecision(3),
    ]),
  );
}

/**
 * One line per engine and N: median ms per call (read-back included) and giga multiply-adds/s (B·N·D per
 * second), for single calls and for calls queued back to back. `markdown` gives a pipe table instead.
 */
export function formatDeviceSearchTable(rows: readonly DeviceSearchRow[], markdown = false): string {
  return (markdown ? formatMarkdownTable : formatTable)(columns, tableRows(rows));
}

/**
 * The ratios the question is about, one line each: the WebGPU search against PyTorch on the same GPU and on one
 * CPU thread (the target is ≥ 0.8× one-thread BLAS), conformance to the float64 brute force, and the
 * growth case against its target.
 */
export function formatDeviceSummary(
  rows: readonly DeviceSearchRow[],
  growth: DeviceGrowthRow | undefined,
): string[] {
  const lines: string[] = [];
  for (const row of rows) {
    const where = `N ${row.keys} D ${row.dims} B ${row.batch}`;
    if (row.torchCuda !== undefined) {
      lines.push(
        `${where}: webgpu ÷ torch cuda throughput, single calls: nearestKey ` +
          `${formatRatio(row.torchCuda.single.medianMs / row.nearestKey.single.medianMs)}, lookup ` +
          `${formatRatio(row.torchCuda.single.medianMs / row.lookup.single.medianMs)}; queued: nearestKey ` +
          `${formatRatio(row.torchCuda.queued.medianMs / row.nearestKey.queued.medianMs)}, lookup ` +
          `${formatRatio(row.torchCuda.queued.medianMs / row.lookup.queued.medianMs)}`,
      );
    }
    if (row.torchCpu !== undefined) {
      const nearest = row.torchCpu.medianMs / row.nearestKey.single.medianMs;
      const lookup = row.torchCpu.medianMs / row.lookup.single.medianMs;
      const met = nearest >= blasRatioTarget && lookup >= blasRatioTarget;
      lines.push(
        `${where}: target search ≥ ${blasRatioTarget}× one-thread BLAS (single calls): nearestKey ` +
          `${formatRatio(nearest)}, lookup ${formatRatio(lookup)} — ${met ? 'met' : 'MISSED'}`,
      );
    }
    const { rows: checked, sameKey, ties, lookupCalls, hits } = row.conformance;
    lines.push(
      `${where}: conformance: ${sameKey}/${checked} nearestKey rows chose the float64 brute force's key ` +
        `(${ties} equal-distance ties), ${lookupCalls} lookups matched it bit for bit (${hits}/${row.batch} hits)`,
    );
  }
  if (growth !== undefined) {
    const met = growth.ratio <= growthRatioTarget;
    lines.push(
      `growth: append + next lookup at ${growth.keys} keys ` +
        `${formatMilliseconds(growth.syncAndLookupMs.large.medianMs)} ms vs ` +
        `${formatMilliseconds(growth.syncAndLookupMs.empty.medianMs)} ms at 0 keys: ${formatRatio(growth.ratio)} ` +
        `(target ≤ ${growthRatioTarget}×: ${met ? 'met' : 'MISSED'}); DeviceCodebook.current() alone ` +
        `${formatMilliseconds(growth.syncMs.large.medianMs)} vs ${formatMilliseconds(growth.syncMs.empty.medianMs)} ms`,
    );
  }
  return lines;
}
