import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor, GraceError } from '@grace/core';
import { afterAll, describe, expect, test } from 'vitest';
import { exportEditedModel, loadOnnxCodebook } from './export-edited-model.js';
import { generatedEncoderBlockBytes, isolatingRadius, randomExamples } from './generated-test-models.js';
import { loadOnnxModel } from './load-onnx-model.js';

const backend = createCpuBackend();

describe('an ONNX model edited with replacement span', () => {
  const directories: string[] = [];
  afterAll(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  test('its codebook of S·Dv-wide values round-trips beside the model; the single graph says it cannot place a span', async () => {
    const model = await loadOnnxModel(generatedEncoderBlockBytes(), { editAt: 'ffn.down', backend });
    const inputs = randomExamples(7, 12, 32);
    const epsInit = await isolatingRadius(model, inputs);
    const layer = { replacement: 'span', spanLength: 3, keyToken: { index: 1 } } as const;
    const editor = new GraceEditor(model, { backend, epsInit, ...layer, training: { iterations: 30 } });
    expect(editor.codebook.valueDimension).toBe(3 * model.valueDimension);
    const before = await editor.predict(inputs);
    await editor.edit({ input: inputs[0] as Float32Array, label: ((before[0] as number) + 1) % 3 });

    const directory = await mkdtemp(join(tmpdir(), 'grace-onnx-span-'));
    directories.push(directory);
    const exported = await exportEditedModel(model, editor, join(directory, 'model.onnx'));
    expect(exported.singleGraph).toEqual({ error: expect.stringContaining("replacement 'span'") });
    const reloaded = await loadOnnxCodebook(model, exported.onnxPath, layer);
    expect(Array.from(reloaded.valuesView())).toEqual(Array.from(editor.codebook.valuesView()));
    // Read as a one-vector codebook, the file's width does not fit the layer.
    await expect(loadOnnxCodebook(model, exported.onnxPath)).rejects.toSatisfy(
      (error) => error instanceof GraceError && error.code === 'FILE_DIMS_MISMATCH',
    );
    editor.dispose();
    await model.release();
  });
});
