import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createTfjsBackend } from '@grace/backend-tfjs';
import type { GraceBackend } from '@grace/core';
// The union package, not tfjs-core alone: it registers the gradients value training needs, and the cpu backend.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

let wasmPathsSet = false;

/**
 * A GRACE backend on one tfjs backend, pinned to it so that `--backend tfjs-wasm,tfjs-cpu` compares the two
 * in one run. In Node the wasm backend loads its `.wasm` files from a path: the package's own dist folder.
 */
export async function createTfjsBenchmarkBackend(tfjsBackend: 'wasm' | 'cpu'): Promise<GraceBackend> {
  if (tfjsBackend === 'wasm' && !wasmPathsSet) {
    const wasmPackage = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
    setWasmPaths(`${join(dirname(wasmPackage), 'dist')}/`);
    wasmPathsSet = true;
  }
  const previous = tf.getBackend();
  if (!(await tf.setBackend(tfjsBackend))) throw new Error(`tfjs backend '${tfjsBackend}' failed to start`);
  await tf.ready();
  if (previous !== undefined && previous !== tfjsBackend) await tf.setBackend(previous);
  return createTfjsBackend(tf, { tfjsBackend });
}
