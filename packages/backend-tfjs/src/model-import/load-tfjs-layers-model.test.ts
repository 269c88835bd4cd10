import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GraceEditor, SeededRandom } from '@grace/core';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTfjsBackend } from '../tfjs-backend.js';
import { loadTfjsLayersModel } from './load-tfjs-layers-model.js';
import { verifyTfjsEditableModel } from './tfjs-editable-model.js';

const wasmPackage = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
setWasmPaths(`${join(dirname(wasmPackage), 'dist')}/`);

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

const seeded = (seed: number) => tf.initializers.glorotNormal({ seed });
const randomBias = (seed: number) => tf.initializers.randomNormal({ seed, stddev: 0.5 });

/** A classifier MLP with a layer norm: 6 → 16 (relu) → LN → 12 (gelu) → 3 (softmax). */
function classifier(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        name: 'hidden',
        inputShape: [6],
        units: 16,
        activation: 'relu',
        kernelInitializer: seeded(1),
        biasInitializer: randomBias(2),
      }),
      tf.layers.layerNormalization({
        name: 'norm',
        gammaInitializer: randomBias(3),
        betaInitializer: randomBias(4),
      }),
      tf.layers.dense({
        name: 'inner',
        units: 12,
        activation: 'gelu',
        kernelInitializer: seeded(5),
        biasInitializer: randomBias(6),
      }),
      tf.layers.dropout({ name: 'drop', rate: 0.5 }),
      tf.layers.dense({ name: 'logits', units: 3, activation: 'softmax', kernelInitializer: seeded(7) }),
    ],
  });
}

/**
 * A token model with a residual block: tokens [B, T, 8] → dense 8 → (+ dense 8 relu → dense 8) → LN → mean over
 * tokens → dense 2 softmax. Cut at the block's second dense, the residual stream crosses the cut.
 */
function tokenModel(): tf.LayersModel {
  const tokens = tf.input({ name: 'tokens', shape: [null, 8] });
  const embedded = tf.layers
    .dense({ name: 'embed', units: 8, kernelInitializer: seeded(11) })
    .apply(tokens) as tf.SymbolicTensor;
  const up = tf.layers
    .dense({
      name: 'up',
      units: 16,
      activation: 'relu',
      kernelInitializer: seeded(12),
      biasInitializer: randomBias(13),
    })
    .apply(embedded) as tf.SymbolicTensor;
  const down = tf.layers
    .dense({ name: 'down', units: 8, kernelInitializer: seeded(14), biasInitializer: randomBias(15) })
    .apply(up) as tf.SymbolicTensor;
  const residual = tf.layers.add({ name: 'residual' }).apply([embedded, down]) as tf.SymbolicTensor;
  const normed = tf.layers
    .layerNormalization({ name: 'ln', epsilon: 1e-5 })
    .apply(residual) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling1d({ name: 'pool' }).apply(normed) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ name: 'head', units: 2, activation: 'softmax', kernelInitializer: seeded(16) })
    .apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: tokens, outputs: logits });
}

describe('loadTfjsLayersModel', () => {
  it('imports the layers after a Dense layer and matches the tfjs model at load', async () => {
    const model = classifier();
    const backend = createTfjsBackend(tf);
    const loaded = await loadTfjsLayersModel(tf, model, { editAt: 'hidden', backend });
    expect(loaded.keyDimension).toBe(6);
    expect(loaded.valueDimension).toBe(16);
    expect(loaded.suffix.nodes.map((node) => node.opType)).toEqual([
      'LayerNormalization',
      'MatMul',
      'Add',
      'Gelu',
      'Identity',
      'MatMul',
      'Add',
      'Softmax',
      'SoftmaxCrossEntropyLoss',
    ]);
    const random = new SeededRandom(3);
    const inputs = Array.from({ length: 9 }, () => random.normals(6));
    const verification = await verifyTfjsEditableModel(loaded, backend, inputs);
    expect(verification.maximumAbsoluteDifference).toBeLessThanOrEqual(1e-4);
    loaded.dispose();
  });

  it('edits a token model inside its residual block, with the residual stream crossing the cut', async () => {
    const model = tokenModel();
    const backend = createTfjsBackend(tf);
    const random = new SeededRandom(5);
    const rows = [4, 6, 3, 6, 5].map((length) => random.normals(length * 8));
    const toTensors = (inputs: readonly Float32Array[]) => {
      const tokens = Math.max(...inputs.map((row) => row.length / 8));
      const data = new Float32Array(inputs.length * tokens * 8);
      for (const [index, row] of inputs.entries()) data.set(row, index * tokens * 8);
      return [tf.tensor3d(data, [inputs.length, tokens, 8])];
    };
    const loaded = await loadTfjsLayersModel<Float32Array>(tf, model, {
      editAt: 'down',
      backend,
      toTensors,
      examples: rows.slice(0, 4),
    });
    expect(loaded.crossingTensors).toEqual(['embed/embed']);
    expect(loaded.keyDimension).toBe(16);
    const editor = new GraceEditor(loaded, { backend, epsInit: 1, replacement: 'all', keyToken: 'last' });
    const before = await editor.predict(rows);
    const wanted = 1 - (before[0] as number);
    const result = await editor.edit({ input: rows[0] as Float32Array, label: wanted });
    expect(result.fixed).toBe(true);
    const after = await editor.predict(rows);
    expect(after[0]).toBe(wanted);
    editor.dispose();
    loaded.dispose();
  }, 60_000);

  it('imports a Concatenate of two branches after the cut', async () => {
    const input = tf.input({ shape: [5] });
    const trunk = tf.layers
      .dense({ name: 'trunk', units: 8, activation: 'tanh', kernelInitializer: seeded(21) })
      .apply(input) as tf.SymbolicTensor;
    const left = tf.layers
      .dense({ name: 'left', units: 3, activation: 'relu', kernelInitializer: seeded(22) })
      .apply(trunk) as tf.SymbolicTensor;
    const right = tf.layers
      .dense({ name: 'right', units: 4, activation: 'sigmoid', kernelInitializer: seeded(23) })
      .apply(trunk) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate({ name: 'joined' }).apply([left, right, trunk]) as tf.SymbolicTensor;
    const output = tf.layers
      .dense({ name: 'out', units: 2, activation: 'softmax', kernelInitializer: seeded(24) })
      .apply(joined) as tf.SymbolicTensor;
    const backend = createTfjsBackend(tf);
    const loaded = await loadTfjsLayersModel(tf, tf.model({ inputs: input, outputs: output }), {
      editAt: 'trunk',
      backend,
    });
    expect(loaded.suffix.nodes.map((node) => node.opType)).toContain('Concat');
    loaded.dispose();
  });

  it('names an unsupported layer after the cut before anything runs', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'first', inputShape: [4], units: 4 }),
        tf.layers.dense({ name: 'odd', units: 4, activation: 'elu' }),
      ],
    });
    await expect(loadTfjsLayersModel(tf, model, { editAt: 'first' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_OP',
      message: expect.stringContaining("layer 'odd' (Dense): activation 'elu'"),
    });
    await expect(loadTfjsLayersModel(tf, model, { editAt: 'nope' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
