import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EditWorkload } from './edit-benchmark.js';

/** The PyTorch edit anchor's script, in the repository's tools (it is not part of any package). */
export const torchEditAnchorScript = fileURLToPath(
  new URL('../../../tools/anchors/torch-edit-anchor.py', import.meta.url),
);

/** Median per-edit time of one-thread PyTorch for each workload, as the anchor script reports it. */
export interface TorchEditAnchor {
  readonly torchVersion: string;
  readonly workloads: Readonly<Record<string, { readonly medianMs: number; readonly runs: number }>>;
}

/** The anchor's result, or why there is none (no Python, no torch, the script failed). */
export type TorchEditAnchorOutcome =
  | { readonly available: true; readonly anchor: TorchEditAnchor }
  | { readonly available: false; readonly reason: string };

/**
 * The Python the anchors run with: `--python`, else `GRACE_ANCHOR_PYTHON`, else `python3`. The product never
 * needs Python; without torch the anchor column is skipped with a note.
 */
export function anchorPython(option: string | undefined): string {
  return option ?? process.env.GRACE_ANCHOR_PYTHON ?? 'python3';
}

/**
 * Runs `tools/anchors/torch-edit-anchor.py` with `python`: one-thread PyTorch training a fresh value by Adam
 * through the same suffix shapes for `iterations` steps, `edits` timed edits after a warm-up.
 */
export function runTorchEditAnchor(
  python: string,
  request: {
    readonly workloads: readonly EditWorkload[];
    readonly iterations: number;
    readonly edits: number;
    readonly warmUp: number;
    readonly seed: number;
  },
): Promise<TorchEditAnchorOutcome> {
  const body = JSON.stringify({
    iterations: request.iterations,
    edits: request.edits,
    warmUp: request.warmUp,
    seed: request.seed,
    workloads: request.workloads.map((workload) => ({
      name: workload.name,
      inputWidth: workload.inputWidth,
      classes: workload.classes,
      loss: workload.classes === 2 ? 'sigmoid-cross-entropy' : 'softmax-cross-entropy',
      layers: workload.layers,
    })),
  });
  return runPythonAnchor<{ torch: string; workloads: TorchEditAnchor['workloads'] }>(
    python,
    torchEditAnchorScript,
    body,
  ).then((outcome) =>
    outcome.available
      ? {
          available: true,
          anchor: { torchVersion: outcome.result.torch, workloads: outcome.result.workloads },
        }
      : outcome,
  );
}

/** A Python anchor's parsed JSON output, or why there is none. */
export type PythonAnchorOutcome<Result> =
  | { readonly available: true; readonly result: Result }
  | { readonly available: false; readonly reason: string };

/** Runs `script` with `python`, the JSON `body` on its stdin, and parses the JSON it prints. Never throws. */
export function runPythonAnchor<Result>(
  python: string,
  script: string,
  body: string,
): Promise<PythonAnchorOutcome<Result>> {
  return new Promise((resolve) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error) => resolve({ available: false, reason: `${python}: ${error.message}` }));
    child.on('close', (code) => {
      if (code !== 0) {
        const lastLine = stderr.trim().split('\n').at(-1) ?? `exit code ${code}`;
        resolve({ available: false, reason: `${python}: ${lastLine}` });
        return;
      }
      try {
        resolve({ available: true, result: JSON.parse(stdout) as Result });
      } catch {
        resolve({ available: false, reason: `${python}: the anchor printed no JSON` });
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(body);
  });
}
