import { createCpuBackend } from '@grace/backend-cpu';
import { Codebook, GraceEditor, SeededRandom } from '@grace/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { buildSingleGraphModel } from './export-edited-model.js';
import { generatedMlpBytes } from './generated-test-models.js';
import { loadOnnxModel, type OnnxEditableModel } from './load-onnx-model.js';
import { batchFeeds } from './onnx-inputs.js';
import { floatTensor, onnxModelBytes, onnxNode } from './onnx-model-builder.js';
import { predictWithSuffixSession } from './predict-with-suffix-session.js';

/**
 * The exported single graph routes exactly as the editor does: the query that added or expanded a key fires
 * it in the graph too (onnxruntime sums the squared differences in its own order, in float32; the codebook's
 * covering radii absorb that), and the graph's outputs equal the editor's serving path.
 */

const backend = createCpuBackend();

/** x [N, 768] → MatMul `layer` (the edit point, its output the model's) → `y` [N, 4]. */
function wideLayerBytes(): Uint8Array {
  const random = new SeededRandom(768);
  return onnxModelBytes({
    name: 'wide',
    inputs: [{ name: 'x', shape: ['N', 768] }],
    outputs: [{ name: 'y', shape: ['N', 4] }],
    initializers: [floatTensor('w', random.floats(768 * 4, -0.05, 0.05), [768, 4])],
    nodes: [onnxNode('MatMul', ['x', 'w'], ['y'], {}, 'layer')],
  });
}

/** The exported graph's `output` for `inputs`, and the editor's serving path's, side by side. */
async function bothOutputs(model: OnnxEditableModel, codebook: Codebook, inputs: Float32Array[]) {
  const editor = new GraceEditor(model, { backend, codebook });
  const served = await predictWithSuffixSession(model, editor, inputs);
  const session = await ort.InferenceSession.create(buildSingleGraphModel(model, codebook));
  const exported = (await session.run(batchFeeds(model.inputSpecs, inputs)))[
    model.modelPredictionOutput
  ] as ort.Tensor;
  await session.release();
  editor.dispose();
  return {
    hits: Array.from(served.keyIndices),
    served: served.prediction.data as Float32Array,
    exported: exported.data as Float32Array,
  };
}

/** A random vector of length `norm`. */
function ofNorm(random: SeededRandom, width: number, norm: number): Float32Array {
  const vector = random.normals(width);
  const scale = norm / Math.hypot(...vector);
  return vector.map((value) => value * scale);
}

describe('the exported single graph against the editor', () => {
  test('expanded balls at D = 768, norms 1 to 1e5: every query that added or expanded a key fires it', async () => {
    const model = await loadOnnxModel(wideLayerBytes(), { editAt: 'layer', loss: 'mean-squared-error' });
    const random = new SeededRandom(1);
    let firing = 0;
    let queries = 0;
    for (const norm of [1, 27_700, 1e5]) {
      const epsInit = norm * 0.01;
      const codebook = new Codebook({
        keyDimension: 768,
        valueDimension: 4,
        epsInit,
        layerId: model.layerId,
      });
      const inputs: Float32Array[] = [];
      for (let pair = 0; pair < 20; pair++) {
        const added = ofNorm(random, 768, norm);
        const step = ofNorm(random, 768, epsInit * random.uniform(1.05, 1.95));
        const expanded = added.map((value, column) => value + (step[column] as number));
        codebook.applyEdit({ query: added, label: [pair, 0, 0, 0] }, { value: [pair, 1, 2, 3] });
        const record = codebook.applyEdit(
          { query: expanded, label: [pair, 0, 0, 0] },
          { value: [pair, 1, 2, 3] },
        );
        expect(record.operation).toBe('EXPAND');
        inputs.push(added, expanded);
      }
      const { hits, served, exported } = await bothOutputs(model, codebook, inputs);
      const expected = inputs.map((_, index) => Math.floor(index / 2));
      expect(hits).toEqual(expected);
      // Where a key fires, its value is the output, copied: the graph must give exactly the same numbers.
      expect(Array.from(exported)).toEqual(Array.from(served));
      firing += expected.length;
      queries += inputs.length;
    }
    expect(firing).toBe(queries);
    await model.release();
  }, 120_000);

  test('a small MLP edited at its second layer: 60 ADD + EXPAND trials fire in the graph as in the editor', async () => {
    const model = await loadOnnxModel(generatedMlpBytes(), { editAt: 'fc2' });
    const random = new SeededRandom(60);
    let agreeing = 0;
    let expands = 0;
    for (let trial = 0; trial < 60; trial++) {
      const first = random.floats(4, -2, 2);
      const prefix = await model.runPrefixSession([first]);
      const query = (prefix[model.cut.editPoint.input] as ort.Tensor).data as Float32Array;
      const epsInit = 0.05;
      const codebook = new Codebook({ keyDimension: 16, valueDimension: 8, epsInit, layerId: model.layerId });
      codebook.applyEdit({ query, label: 1 }, { value: random.floats(8, 0, 3) });
      // A second input whose query lands just outside the ball, within reach: an EXPAND.
      const second = first.map((value) => value + random.uniform(-0.02, 0.02));
      const secondQuery = ((await model.runPrefixSession([second]))[model.cut.editPoint.input] as ort.Tensor)
        .data as Float32Array;
      const record = codebook.applyEdit({ query: secondQuery, label: 1 }, { value: random.floats(8, 0, 3) });
      const { hits, served, exported } = await bothOutputs(model, codebook, [first, second]);
      if (record.operation === 'EXPAND') expands++;
      const expectedHits = record.operation === 'ADD' ? [0, 1] : [0, 0];
      expect(hits).toEqual(expectedHits);
      const difference = Math.max(
        ...Array.from(exported, (value, index) => Math.abs(value - (served[index] as number))),
      );
      expect(difference, `trial ${trial} (${record.operation})`).toBeLessThan(1e-6);
      agreeing++;
    }
    expect(agreeing).toBe(60);
    expect(expands).toBeGreaterThanOrEqual(20);
    await model.release();
  }, 120_000);
});
