import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { editScore, type LifelongCheckpoint, type LifelongRun } from '@grace/core';
import { renderLineChart } from '../../line-chart-svg.js';

/**
 * Turns lifelong runs into what a reader looks at: a markdown table of the final metrics (the paper's tables:
 * TRR, ERR on the edits so far, ES, Holdout; the accuracy on the whole stream so far beside them) and one SVG
 * per metric against stream inputs processed (the paper's figures), plus the raw JSON.
 */

const percent = (value: number): string => `${(100 * value).toFixed(1)}%`;

/** The final checkpoint of a run. */
export function finalCheckpoint(run: LifelongRun): LifelongCheckpoint {
  return run.checkpoints.at(-1) as LifelongCheckpoint;
}

/** What the table's columns mean, printed under it. */
export const lifelongTableLegend =
  'TRR: accuracy on the upstream set (and relative to the unedited model). ERR: accuracy now on every input ' +
  'edited so far (the paper\'s "previous edits"). ES: share of edits whose input the edited model predicted ' +
  'right just after the edit. Holdout: accuracy on held-out related inputs. Stream: accuracy now on every ' +
  'stream input seen so far, edited or not. Edit Score: mean of TRR and ERR. ms/edit: median wall time of one edit.';

/** Markdown table: one row per method; TRR also relative to the unedited model's. */
export function formatLifelongTable(runs: readonly LifelongRun[], uneditedTrr: number): string {
  const header =
    '| method | edits | keys | keys/edit | TRR | TRR/unedited | ERR | ES | Holdout | Stream | Edit Score | ms/edit |';
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = runs.map((run) => {
    const last = finalCheckpoint(run);
    const keys = last.keys === null ? '–' : String(last.keys);
    const perEdit = last.keys === null || last.edits === 0 ? '–' : (last.keys / last.edits).toFixed(2);
    const cells = [
      run.method,
      String(last.edits),
      keys,
      perEdit,
      percent(last.trr),
      (last.trr / uneditedTrr).toFixed(3),
      percent(last.err),
      percent(last.es),
      percent(last.holdout),
      percent(last.streamAccuracy),
      percent(editScore(run)),
      last.medianEditMilliseconds.toFixed(1),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}

/** Writes `<name>.json`, `<name>.md` and `<name>-<metric>.svg` into `directory`; returns the paths. */
export async function writeLifelongReport(
  directory: string,
  name: string,
  result: { readonly runs: readonly LifelongRun[] } & Record<string, unknown>,
  markdown: string,
  plotted: readonly string[],
): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const paths = [join(directory, `${name}.json`), join(directory, `${name}.md`)];
  await writeFile(paths[0] as string, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(paths[1] as string, `${markdown}\n`);
  const runs = result.runs.filter((run) => plotted.includes(run.method));
  const metrics: ReadonlyArray<
    readonly [keyof LifelongCheckpoint, string, readonly [number, number] | undefined]
  > = [
    ['trr', 'TRR (upstream accuracy)', [0, 1]],
    ['err', 'ERR (accuracy on the inputs edited so far)', [0, 1]],
    ['es', 'ES (edits right just after they were made)', [0, 1]],
    ['streamAccuracy', 'accuracy on the stream so far', [0, 1]],
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
    const fileSuffix = metric.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
    const path = join(directory, `${name}-${fileSuffix}.svg`);
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
