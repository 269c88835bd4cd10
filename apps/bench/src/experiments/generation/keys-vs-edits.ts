import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EditingMethod } from '@grace/core';
import { renderLineChart } from '../../line-chart-svg.js';

/** `[edits, keys]` after each edit of one method, in order. */
export type KeyTrace = readonly (readonly [number, number])[];

/**
 * The method with its memory's size recorded after every `edit` call (the protocol edits only the inputs it got
 * wrong, so the n-th call is the n-th edit): how keys grow with edits, exactly, not only at checkpoints. A method
 * without a memory (`keys()` null) records nothing.
 */
export function traceKeys<Input>(method: EditingMethod<Input>): {
  readonly method: EditingMethod<Input>;
  readonly trace: KeyTrace;
} {
  const trace: [number, number][] = [];
  return {
    trace,
    method: {
      ...method,
      edit: async (example) => {
        const result = await method.edit(example);
        const keys = method.keys?.() ?? null;
        if (keys !== null) trace.push([trace.length + 1, keys]);
        return result;
      },
    },
  };
}

/**
 * Writes `<name>-keys-vs-edits.svg`: keys against edits for each traced method with a memory (a method that adds a
 * key per edit lies on the diagonal; GRACE's EXPAND and RETRAIN edits keep it below). Returns the path, or null
 * when no method has a memory.
 */
export async function writeKeysVsEditsPlot(
  directory: string,
  name: string,
  traces: Readonly<Record<string, KeyTrace>>,
): Promise<string | null> {
  const series = Object.entries(traces)
    .filter(([, trace]) => trace.length > 0)
    .map(([method, trace]) => ({ name: method, points: [[0, 0] as const, ...trace] }));
  if (series.length === 0) return null;
  const path = join(directory, `${name}-keys-vs-edits.svg`);
  await writeFile(
    path,
    renderLineChart({ title: 'keys vs edits', xLabel: 'edits made', yLabel: 'keys in memory', series }),
  );
  return path;
}
