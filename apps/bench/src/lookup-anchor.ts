import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The PyTorch search anchor's script, in the repository's tools (it is not part of any package). */
export const torchLookupAnchorScript = fileURLToPath(
  new URL('../../../tools/anchors/torch-lookup-anchor.py', import.meta.url),
);

/** Where the anchor's tensors live: the CPU (one thread) or a CUDA GPU. */
export type LookupAnchorDevice = 'cpu' | 'cuda';

/**
 * A running anchor process: PyTorch's `addmm` + `argmin` with cached key norms, on one CPU thread or on a
 * CUDA GPU, timed one call at a time so that the benchmark can interleave it with the TypeScript backends in
 * the same run.
 */
export interface LookupAnchor {
  /** What the anchor runs on: `cpu`, or the GPU's name (`NVIDIA H200`) once a cell was prepared. */
  readonly deviceName: string;
  /** Makes the cell's data on the Python side (B queries, N keys of D dims, standard normal). */
  prepare(batch: number, keyCount: number, dims: number, seed: number): Promise<void>;
  /**
   * One timed search, in milliseconds, as Python's `perf_counter` measured it (on a GPU: from a synchronize to
   * the indices on the host). With `calls` > 1, that many searches queued back to back and the mean per search.
   */
  time(calls?: number): Promise<number>;
  close(): void;
}

/** The anchor, or why there is none (no such Python, no torch). */
export type LookupAnchorOutcome =
  | { readonly available: true; readonly anchor: LookupAnchor }
  | { readonly available: false; readonly reason: string };

/**
 * Starts `tools/anchors/torch-lookup-anchor.py` with `python` and checks that it answers on `device` (default
 * the CPU; `cuda` needs a PyTorch built with CUDA and a GPU). Never throws: without them, says why.
 */
export async function startLookupAnchor(
  python: string,
  device: LookupAnchorDevice = 'cpu',
): Promise<LookupAnchorOutcome> {
  const child = spawn(python, [torchLookupAnchorScript], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<string>((resolve) => {
    child.on('error', (error) => resolve(error.message));
    child.on('exit', (code) => resolve(`exited with ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`));
  });
  const request = async (body: object): Promise<Record<string, unknown>> => {
    child.stdin.write(`${JSON.stringify(body)}\n`);
    const reply = await Promise.race([lines.next(), exited.then((reason) => ({ reason }))]);
    if ('reason' in reply) throw new Error(`${python} ${torchLookupAnchorScript}: ${reply.reason}`);
    if (reply.done === true) throw new Error(`${python}: anchor closed its output`);
    const parsed = JSON.parse(reply.value) as Record<string, unknown>;
    if (typeof parsed.error === 'string') throw new Error(`anchor: ${parsed.error}`);
    return parsed;
  };
  let deviceName = device as string;
  const anchor: LookupAnchor = {
    get deviceName() {
      return deviceName;
    },
    prepare: async (batch, keyCount, dims, seed) => {
      const reply = await request({ cell: [batch, keyCount, dims], seed, device });
      deviceName = String(reply.device ?? device);
    },
    time: async (calls = 1) => Number((await request({ time: true, calls })).ms),
    close: () => {
      child.stdin.end();
    },
  };
  try {
    await anchor.prepare(1, 1, 1, 0);
    return { available: true, anchor };
  } catch (error) {
    child.kill();
    return { available: false, reason: (error as Error).message };
  }
}
