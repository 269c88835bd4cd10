import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor } from '@grace/core';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, test } from 'vitest';
import { listEditPoints } from './cut-onnx-model.js';
import { exportEditedModel, loadOnnxCodebook } from './export-edited-model.js';
import {
  generatedEncoderBlockBytes,
  generatedMlpBytes,
  isolatingRadius,
  randomExamples,
} from './generated-test-models.js';
import { loadOnnxModel } from './load-onnx-model.js';
import { batchFeeds } from './onnx-inputs.js';
import { predictWithSuffixSession } from './predict-with-suffix-session.js';
import { readOnnxModel } from './read-onnx-model.js';
import { verifyCut, verifySuffixGraph } from './verify-suffix-graph.js';

const backend = createCpuBackend();

const encoderBlock = { bytes: generatedEncoderBlockBytes, editAt: 'ffn.down', width: 32, points: 9 };

describe.each([
  {
    title: 'generated MLP',
    bytes: generatedMlpBytes,
    editAt: 'fc2',
    width: 4,
    points: 3,
    replacement: 'all' as const,
  },
  {
    title: 'generated encoder block (residual around the cut), replacing all tokens',
    ...encoderBlock,
    replacement: 'all' as const,
  },
  {
    title: 'generated encoder block, replacing the key token',
    ...encoderBlock,
    replacement: 'last' as const,
  },
  {
    title: 'generated encoder block, replacing the tokens before it',
    ...encoderBlock,
    replacement: 'prompt' as const,
  },
  {
    title: 'generated encoder block edited at its head (the layer output is the model output)',
    ...encoderBlock,
    editAt: 'classifier',
    replacement: 'all' as const,
  },
])('$title', ({ bytes, editAt, width, points, replacement }) => {
  const inputs = randomExamples(7, 12, width);
  const directories: string[] = [];
  afterAll(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  test('lists its MatMul and Gemm nodes with shapes', async () => {
    const listed = await listEditPoints(await readOnnxModel(bytes()));
    expect(listed).toHaveLength(points);
    const point = listed.find((entry) => entry.name === editAt);
    expect(point?.inputShape[0]).toBe('batch');
    expect(typeof point?.inputShape.at(-1)).toBe('number');
  });

  test('prefix plus suffix reproduce the full model exactly, and the IR suffix matches onnxruntime', async () => {
    const model = await loadOnnxModel(bytes(), { editAt });
    expect(await verifyCut(model, inputs)).toBe(0);
    const verification = await verifySuffixGraph(model, backend, inputs);
    expect(verification.passed).toBe(true);
    expect(verification.maximumAbsoluteDifference).toBeLessThanOrEqual(1e-4);
    if (editAt === 'ffn.down') expect(model.cut.crossingTensors).toEqual(['attention.residual']);
    await model.release();
  });

  test('an edit flips the chosen input and leaves the others; the export serves the same predictions', async () => {
    const model = await loadOnnxModel(bytes(), { editAt, backend });
    const epsInit = await isolatingRadius(model, inputs);
    const editor = new GraceEditor(model, { backend, epsInit, replacement });
    const before = await editor.predict(inputs);
    const wanted = ((before[0] as number) + 1) % 3;
    const result = await editor.edit({ input: inputs[0] as Float32Array, label: wanted });
    expect(result.fixed).toBe(true);
    const after = await editor.predictWithDetails(inputs);
    expect(after.labels[0]).toBe(wanted);
    expect(after.labels.slice(1)).toEqual(before.slice(1));
    expect(Array.from(after.keyIndices)).toEqual([0, ...new Array(inputs.length - 1).fill(-1)]);

    // Serving through the original suffix on onnxruntime agrees with the IR path.
    const served = await predictWithSuffixSession(model, editor, inputs);
    expect(Array.from(served.keyIndices)).toEqual(Array.from(after.keyIndices));
    expect(
      model.decodePredictions(served.prediction.data as Float32Array, [...served.prediction.dims]),
    ).toEqual(after.labels);

    const directory = await mkdtemp(join(tmpdir(), 'grace-onnx-'));
    directories.push(directory);
    const exported = await exportEditedModel(model, editor, join(directory, 'model.onnx'));
    const reloaded = await loadOnnxCodebook(model, exported.onnxPath);
    expect(reloaded.size).toBe(1);
    // The single ONNX graph with the lookup built in serves the same outputs as the GRACE serving path.
    expect('path' in exported.singleGraph).toBe(true);
    const session = await ort.InferenceSession.create(
      await readFile((exported.singleGraph as { path: string }).path),
    );
    const output = (await session.run(batchFeeds(model.inputSpecs, inputs)))[
      model.modelPredictionOutput
    ] as ort.Tensor;
    const expected = served.prediction.data as Float32Array;
    const largestDifference = Math.max(
      ...Array.from(output.data as Float32Array, (value, index) =>
        Math.abs(value - (expected[index] as number)),
      ),
    );
    expect(largestDifference).toBeLessThan(1e-5);
    expect(model.decodePredictions(output.data as Float32Array, [...output.dims])).toEqual(after.labels);
    await session.release();
    editor.dispose();
    await model.release();
  });
});
