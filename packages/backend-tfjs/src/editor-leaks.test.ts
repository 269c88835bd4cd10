import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { editableSequentialModel, GraceEditor, SeededRandom, SequentialModel } from '@grace/core';
import { trackTensors } from '@grace/core/testing';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { createTfjsBackend } from './tfjs-backend.js';

const wasmPackage = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
setWasmPaths(`${join(dirname(wasmPackage), 'dist')}/`);

describe('tfjs tensors over a long editing run', () => {
  // tfjs counts its own tensors, so this catches leaks below the GRACE handles too: an intermediate a kernel
  // forgot to put in a tidy, or an old tensor an in-place Adam update failed to dispose.
  it('200 edits leave tf.memory().numTensors where it was', async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const tracked = trackTensors(createTfjsBackend(tf));
    const before = tf.memory().numTensors;
    const model = SequentialModel.create({
      inputWidth: 2,
      layers: [{ kind: 'dense', units: 6 }, { kind: 'relu' }, { kind: 'dense', units: 3 }],
      loss: 'softmax-cross-entropy',
      seed: 5,
    });
    const editor = new GraceEditor(editableSequentialModel(model, 0), {
      backend: tracked.backend,
      epsInit: 0.3,
      training: { iterations: 3 },
    });
    const random = new SeededRandom(2024);
    const probe = [
      [0, 0],
      [3, -3],
    ];
    await editor.edit({ input: [0.5, 0.5], label: 1 });
    await editor.predict(probe);
    const baseline = tf.memory().numTensors;
    for (let edit = 0; edit < 200; edit++) {
      await editor.edit({
        input: [random.uniform(-4, 4), random.uniform(-4, 4)],
        label: random.integer(0, 3),
      });
    }
    await editor.predict(probe);
    expect(editor.codebook.records.length).toBe(201);
    expect(tf.memory().numTensors).toBe(baseline);
    // Beneath the handles too: every tfjs tensor still alive belongs to a GRACE handle still alive, plus the
    // cache kept with a handle: the transposed weight of the one dense layer after the edited one (the search
    // keeps no transposed copy or norms of the keys on the backend); plus the codebook's three row mirrors
    // (keys, values, radii), each a tensor with spare rows and the view of its used rows that kernels read.
    expect(tf.memory().numTensors - before).toBe(tracked.live() + 1 + 3 * 2);
    editor.dispose();
    expect(tf.memory().numTensors - before).toBe(tracked.live());
  }, 120_000);
});
