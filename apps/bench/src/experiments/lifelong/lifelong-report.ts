import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checkpoint, MethodRun } from './lifelong-protocol.js';
import { renderLineChart } from './line-chart-svg.js';

/**
 * Turns lifelong runs into what a reader looks at: a markdown table of the final metrics (the paper's tables)
 * and one SVG per metric against stream inputs processed (the paper's figures), plus the raw JSON.
 */

const percent = (value: number): string => `${(100 * value).toFixed(1)}%`;

/** The final checkpoint of a run. */
export function finalCheckpoint(run: MethodRun): Checkpoint {
  return run.checkpoints.at(-1) as Checkpoint;
}

/** Markdown table: one row per method; TRR also relative to the unedited model's. */
export function formatLifelongTable(runs: readonly MethodRun[], uneditedTrr: number): string {
  const header =
    '| method | edits | keys | keys/edit | TRR | TRR / unedited | ERR | ES | Holdout | Edit Score | edit ms (median) |';
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = runs.map((run) => {
    const last = finalCheckpoint(run);
    const keys = last.keys === null ? '–' : String(last.keys);
    const perEdit = last.keys === null || last.edits === 0 ? '–' : (last.keys / last.edits).toFixed(2);
    return `| ${run.method} | ${last.edits} | ${keys} | ${perEdit} | ${percent(last.trr)} | ${(last.trr / uneditedTrr).toFixed(3)} | ${percent(last.err)} | ${percent(last.es)} | ${percent(last.holdout)} | ${percent((last.trr + last.err) / 2)} | ${last.medianEditMs.toFixed(1)} |`;
  });
  return [header, rule, ...rows].join('\n');
}

/** Writes `<name>.json`, `<name>.md` and `<name>-<metric>.svg` into `directory`; returns the paths. */
export async function writeLifelongReport(
  directory: string,
  name: string,
  result: { readonly runs: readonly MethodRun[] } & Record<string, unknown>,
  markdown: string,
  plotted: readonly string[],
): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const paths = [join(directory, `${name}.json`), join(directory, `${name}.md`)];
  await writeFile(paths[0] as string, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(paths[1] as string, `${markdown}\n`);
  const runs = result.runs.filter((run) => plotted.includes(run.method));
  const metrics: ReadonlyArray<readonly [keyof Checkpoint, string, readonly [number, number] | undefined]> = [
    ['trr', 'TRR (upstream accuracy)', [0, 1]],
    ['err', 'ERR (accuracy on edits so far)', [0, 1]],
    ['holdout', 'Holdout accuracy', [0, 1]],
    ['keys', 'keys in the codebook', undefined],
  ];
  for (const [metric, title, yRange] of metrics) {
    const series = runs
      .filter((run) => run.checkpoints.every((checkpoint) => typeof checkpoint[metric] === 'number'))
      .map((run) => ({
        name: run.method,
        points: run.checkpoints.map(
          (checkpoint) => [checkpoint.processed, checkpoint[metric] as number] as const,
        ),
      }));
    if (series.length === 0) continue;
    const path = join(directory, `${name}-${metric}.svg`);
    await writeFile(
      path,
      renderLineChart({
        title,
        xLabel: 'stream inputs (real mistakes) processed',
        yLabel: title,
        series,
        ...(yRange === undefined ? {} : { yRange }),
      }),
    );
    paths.push(path);
  }
  return paths;
}
