import { spawn } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type LookupCellData, verifyNearestKey } from './lookup-verification.js';
import type { NaiveNearestKeyResult } from './naive-nearest-key.js';

/**
 * The libraries an exact-search anchor can time: PyTorch's `addmm` + `argmin` with cached key norms (the
 * one-thread BLAS yardstick the search target is stated against) and faiss's flat L2 index (the standard exact
 * k-NN library, shown beside it).
 */
export const lookupAnchorLibraries = ['torch', 'faiss'] as const;

/** One of {@link lookupAnchorLibraries}. */
export type LookupAnchorLibrary = (typeof lookupAnchorLibraries)[number];

/** Each anchor's script, in the repository's tools (not part of any package); they share one line protocol. */
export const lookupAnchorScripts: Readonly<Record<LookupAnchorLibrary, string>> = {
  torch: fileURLToPath(new URL('../../../tools/anchors/torch-lookup-anchor.py', import.meta.url)),
  faiss: fileURLToPath(new URL('../../../tools/anchors/faiss-lookup-anchor.py', import.meta.url)),
};

/** Where the anchor's tensors live: the CPU (one thread) or a CUDA GPU (torch only). */
export type LookupAnchorDevice = 'cpu' | 'cuda';

/** An anchor's answer for the prepared cell: per query, the nearest key and its Euclidean distance. */
export interface LookupAnchorAnswer {
  /** `[B]`. */
  readonly index: Int32Array;
  /** `[B]`, not squared. */
  readonly distance: Float32Array;
}

/**
 * A running anchor process, timed one call at a time so that the benchmark can interleave it with the
 * TypeScript backends in the same run.
 */
export interface LookupAnchor {
  readonly library: LookupAnchorLibrary;
  /** The library's version, as the anchor reported it (e.g. `2.13.0+cpu`, `1.15.1`). */
  readonly version: string;
  /** What the anchor runs on: `cpu`, or the GPU's name (`NVIDIA H200`) once a cell was prepared. */
  readonly deviceName: string;
  /**
   * Makes the cell's data on the Python side: B queries and N keys of D dims, read from `dataPath` (B·D query
   * floats then N·D key floats, float32 little-endian) when given, else standard normal from `seed`.
   */
  prepare(batch: number, keyCount: number, dims: number, seed: number, dataPath?: string): Promise<void>;
  /**
   * One timed search, in milliseconds, as Python's `perf_counter` measured it (on a GPU: from a synchronize to
   * the indices on the host). With `calls` > 1, that many searches queued back to back and the mean per search.
   */
  time(calls?: number): Promise<number>;
  /** One untimed search of the prepared cell, so that its answer can be checked against the brute force. */
  answer(): Promise<LookupAnchorAnswer>;
  close(): void;
}

/** The anchor, or why there is none (no such Python, no torch or faiss, no CUDA). */
export type LookupAnchorOutcome =
  | { readonly available: true; readonly anchor: LookupAnchor }
  | { readonly available: false; readonly reason: string };

/** Environment that keeps OpenMP and the BLAS libraries on one thread whatever the library's defaults. */
const oneThreadEnvironment = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/**
 * Starts `library`'s anchor script with `python` and checks that it answers on `device` (default the CPU;
 * `cuda` needs a PyTorch built with CUDA and a GPU). Never throws: without them, says why (the last line the
 * script wrote on stderr, e.g. `ModuleNotFoundError: No module named 'faiss'`).
 */
export async function startLookupAnchor(
  python: string,
  device: LookupAnchorDevice = 'cpu',
  library: LookupAnchorLibrary = 'torch',
): Promise<LookupAnchorOutcome> {
  const script = lookupAnchorScripts[library];
  const child = spawn(python, [script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...oneThreadEnvironment },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.on('error', () => undefined);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<string>((resolve) => {
    child.on('error', (error) => resolve(error.message));
    // 'close' comes after stderr is drained, so the reason is the script's last word (a Python traceback's).
    child.on('close', (code) => resolve(`exited with ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`));
  });
  const request = async (body: object): Promise<Record<string, unknown>> => {
    child.stdin.write(`${JSON.stringify(body)}\n`);
    const reply = await Promise.race([lines.next(), exited.then((reason) => ({ reason }))]);
    if ('reason' in reply) throw new Error(`${python} ${script}: ${reply.reason}`);
    // Output that ends before a reply means the script is exiting: its exit says why.
    if (reply.done === true) throw new Error(`${python} ${script}: ${await exited}`);
    const parsed = JSON.parse(reply.value) as Record<string, unknown>;
    if (typeof parsed.error === 'string') throw new Error(`${library} anchor: ${parsed.error}`);
    return parsed;
  };
  let deviceName = device as string;
  let version = '';
  const anchor: LookupAnchor = {
    library,
    get version() {
      return version;
    },
    get deviceName() {
      return deviceName;
    },
    prepare: async (batch, keyCount, dims, seed, dataPath) => {
      const data = dataPath === undefined ? {} : { data: dataPath };
      const reply = await request({ cell: [batch, keyCount, dims], seed, device, ...data });
      deviceName = String(reply.device ?? device);
      version = String(reply.version ?? '');
    },
    time: async (calls = 1) => Number((await request({ time: true, calls })).ms),
    answer: async () => {
      const reply = await request({ answer: true });
      return {
        index: Int32Array.from(reply.index as number[]),
        distance: Float32Array.from(reply.distance as number[]),
      };
    },
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

/**
 * Prepares every anchor on the benchmark's own cell, so that an anchor's time is that of a search of the very
 * data the backends search (and its answer can be checked with {@link verifyAnchorAnswers}). The cell goes to
 * the anchors through a temporary file (the queries, then the keys, float32 in this machine's byte order:
 * little-endian on every platform Node runs on here), deleted once they have read it.
 */
export async function prepareAnchorsOnCell(
  anchors: readonly LookupAnchor[],
  data: LookupCellData,
  seed: number,
): Promise<void> {
  if (anchors.length === 0) return;
  const directory = await mkdtemp(join(tmpdir(), 'grace-lookup-anchor-'));
  try {
    const dataPath = join(directory, 'cell.f32');
    const file = await open(dataPath, 'w');
    try {
      for (const array of [data.queries, data.keys]) {
        await file.write(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      }
    } finally {
      await file.close();
    }
    for (const anchor of anchors) {
      await anchor.prepare(data.batch, data.keyCount, data.dims, seed, dataPath);
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * Checks each prepared anchor's answer against the float64 brute force `naive` of the same cell, as a
 * backend's is checked: a fast wrong anchor is no yardstick. Throws `KernelMismatchError` when an anchor's key
 * is not a nearest one or its distance is off beyond float32 rounding.
 */
export async function verifyAnchorAnswers(
  anchors: readonly LookupAnchor[],
  data: LookupCellData,
  naive: NaiveNearestKeyResult,
): Promise<void> {
  for (const anchor of anchors) {
    const answer = await anchor.answer();
    verifyNearestKey(`${anchor.library} anchor`, data, naive, answer.index, answer.distance);
  }
}
