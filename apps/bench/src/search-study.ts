// Decision this study informs (measurement only, no kernel changes): which engine should exact nearest-key search
// be built on in Node to reach one-thread BLAS speed — onnxruntime-node's MLAS GEMM, WebAssembly SIMD (the cpu
// backend's float32 MatMul), or tfjs-wasm — measured beside one-thread PyTorch addmm + argmin in the same run.
// Every engine ranks by |k|² − 2 q·k with cached key norms (the BLAS formulation); an exact search would then
// re-check the few closest candidates, which costs O(B·D) and is left out here.

import { createCpuBackend } from '@grace/backend-cpu';
import { SeededRandom } from '@grace/core';
import { floatTensor, onnxModelBytes, onnxNode } from '@grace/onnx';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { median } from './statistics.js';
import { createTfjsBenchmarkBackend } from './tfjs-backends.js';

export interface SearchStudyConfig {
  readonly sizes: readonly number[];
  readonly dimension: number;
  readonly batch: number;
  readonly runs: number;
  readonly seed: number;
}

export const defaultSearchStudyConfig: SearchStudyConfig = {
  sizes: [10_000, 100_000],
  dimension: 768,
  batch: 32,
  runs: 5,
  seed: 3,
};

/** One engine at one codebook size: median ms per batch and the multiply-add rate it implies. */
export interface SearchStudyRow {
  readonly engine: string;
  readonly keys: number;
  readonly medianMs: number;
  /** B·N·D / median time, in multiply-adds per second. */
  readonly multiplyAddsPerSecond: number;
}

/** Index of the smallest score of each row of `[batch, keys]` scores (ties to the lowest index). */
function argminRows(scores: ArrayLike<number>, batch: number, keys: number): Int32Array {
  const result = new Int32Array(batch);
  for (let row = 0; row < batch; row++) {
    let best = Number.POSITIVE_INFINITY;
    for (let key = 0; key < keys; key++) {
      const score = scores[row * keys + key] as number;
      if (score < best) {
        best = score;
        result[row] = key;
      }
    }
  }
  return result;
}

/** `[N]` squared norms and `[D, N]` transposed keys, what every engine here keeps between searches. */
function prepareKeys(keys: Float32Array, size: number, dimension: number) {
  const norms = new Float32Array(size);
  const transposed = new Float32Array(size * dimension);
  for (let key = 0; key < size; key++) {
    let sum = 0;
    for (let column = 0; column < dimension; column++) {
      const value = keys[key * dimension + column] as number;
      sum += value * value;
      transposed[column * size + key] = value;
    }
    norms[key] = sum;
  }
  return { norms, transposed };
}

async function timeRuns(
  runs: number,
  search: () => Promise<Int32Array>,
): Promise<{ ms: number; last: Int32Array }> {
  let last = await search();
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    last = await search();
    samples.push(performance.now() - started);
  }
  return { ms: median(samples), last };
}

/**
 * Times each engine at each size; every engine's chosen keys are compared with the cpu backend's exact
 * `nearestKey`, and an engine that disagrees on more than one row in a batch (float32 near-ties) is reported.
 */
export async function runSearchStudy(
  config: SearchStudyConfig,
  onProgress: (message: string) => void = () => undefined,
): Promise<{ rows: SearchStudyRow[]; disagreements: string[] }> {
  const { dimension, batch, runs } = config;
  const rows: SearchStudyRow[] = [];
  const disagreements: string[] = [];
  const cpu = createCpuBackend();
  // Initialises tfjs's wasm backend (and its wasm file paths) the way every benchmark does, then runs on it.
  await createTfjsBenchmarkBackend('wasm');
  await tf.setBackend('wasm');
  for (const size of config.sizes) {
    const random = new SeededRandom(config.seed + size);
    const keys = random.floats(size * dimension, -1, 1);
    const queries = random.floats(batch * dimension, -1, 1);
    const { norms, transposed } = prepareKeys(keys, size, dimension);
    const record = (engine: string, ms: number) =>
      rows.push({
        engine,
        keys: size,
        medianMs: ms,
        multiplyAddsPerSecond: (batch * size * dimension) / (ms / 1000),
      });

    const cpuQueries = cpu.upload(queries, [batch, dimension]);
    const cpuKeys = cpu.upload(keys, [size, dimension]);
    const exact = await timeRuns(runs, async () => {
      const result = cpu.nearestKey(cpuQueries, cpuKeys);
      const index = await cpu.download(result.index);
      cpu.dispose(result.index);
      cpu.dispose(result.distance);
      return index;
    });
    record('cpu nearestKey (float64 loops, today)', exact.ms);
    onProgress(`${size} keys: cpu nearestKey`);
    const check = (engine: string, found: Int32Array) => {
      const wrong = found.filter((index, row) => index !== exact.last[row]).length;
      if (wrong > 1) disagreements.push(`${engine} at ${size} keys: ${wrong} of ${batch} rows differ`);
    };

    const cpuTransposed = cpu.upload(transposed, [dimension, size]);
    const simd = await timeRuns(runs, async () => {
      const scores = cpu.ops.MatMul.forward([cpuQueries, cpuTransposed], {}, [batch, size]);
      const data = await cpu.download(scores);
      cpu.dispose(scores);
      for (let row = 0; row < batch; row++) {
        for (let key = 0; key < size; key++)
          data[row * size + key] = (norms[key] as number) - 2 * (data[row * size + key] as number);
      }
      return argminRows(data, batch, size);
    });
    record('WebAssembly SIMD (cpu backend MatMul, float32) + JS argmin', simd.ms);
    check('WebAssembly SIMD', simd.last);
    for (const tensor of [cpuQueries, cpuKeys, cpuTransposed]) cpu.dispose(tensor);
    onProgress(`${size} keys: WebAssembly SIMD`);

    const tfQueries = tf.tensor2d(queries, [batch, dimension]);
    const tfTransposed = tf.tensor2d(transposed, [dimension, size]);
    const tfNorms = tf.tensor2d(norms, [1, size]);
    const tfjsRun = await timeRuns(runs, async () => {
      const index = tf.tidy(() =>
        tf.argMin(tf.sub(tfNorms, tf.mul(2, tf.matMul(tfQueries, tfTransposed))), 1),
      );
      const data = Int32Array.from(await index.data());
      index.dispose();
      return data;
    });
    record('tfjs-wasm matMul + argMin', tfjsRun.ms);
    check('tfjs-wasm', tfjsRun.last);
    tf.dispose([tfQueries, tfTransposed, tfNorms]);
    onProgress(`${size} keys: tfjs-wasm`);

    const model = onnxModelBytes({
      nodes: [
        onnxNode('MatMul', ['queries', 'keysTransposed'], ['products']),
        onnxNode('Mul', ['products', 'minusTwo'], ['scaled']),
        onnxNode('Add', ['scaled', 'norms'], ['scores']),
        onnxNode('ArgMin', ['scores'], ['index'], { axis: 1, keepdims: 0 }),
      ],
      inputs: [{ name: 'queries', shape: [batch, dimension] }],
      outputs: [{ name: 'index', shape: [batch], type: 'int64' }],
      initializers: [
        floatTensor('keysTransposed', transposed, [dimension, size]),
        floatTensor('norms', norms, [1, size]),
        floatTensor('minusTwo', [-2], []),
      ],
    });
    const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const feed = { queries: new ort.Tensor('float32', queries, [batch, dimension]) };
    const onnx = await timeRuns(runs, async () => {
      const output = await session.run(feed);
      return Int32Array.from(output.index?.data as BigInt64Array, (value) => Number(value));
    });
    record('onnxruntime-node MLAS (1 thread) MatMul + ArgMin', onnx.ms);
    check('onnxruntime-node', onnx.last);
    await session.release();
    onProgress(`${size} keys: onnxruntime-node`);
  }
  return { rows, disagreements };
}
