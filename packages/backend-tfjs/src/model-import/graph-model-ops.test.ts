import { GraceEditor, SeededRandom } from '@grace/core';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTfjsBackend } from '../tfjs-backend.js';
import { loadTfjsGraphModel } from './load-tfjs-graph-model.js';

type Attributes = Record<string, unknown>;

/** A GraphDef node as the tfjs converter writes it into model.json. */
const node = (name: string, op: string, input: string[], attr: Attributes = {}) => ({
  name,
  op,
  input,
  attr,
});
const floatType = { type: 'DT_FLOAT' };
const flag = (value: boolean) => ({ b: value });

/**
 * A small GraphModel written the way the converter writes one (topology + weight specs + weight data), with the
 * ops a converted Keras or TF model puts after a dense layer: MatMul, BiasAdd, Relu, ConcatV2, a decomposed layer
 * norm (Mean, Sub, Square, AddV2, Rsqrt, Mul), Maximum, BatchMatMulV2 with adj_y, Softmax.
 */
async function handWrittenGraphModel(): Promise<tf.GraphModel> {
  const random = new SeededRandom(4);
  const weights: { name: string; shape: number[]; data: Float32Array | Int32Array }[] = [
    { name: 'w1', shape: [4, 6], data: random.normals(24) },
    { name: 'b1', shape: [6], data: random.normals(6) },
    { name: 'w2', shape: [6, 3], data: random.normals(18) },
    { name: 'axis', shape: [], data: Int32Array.of(-1) },
    { name: 'axes', shape: [1], data: Int32Array.of(1) },
    { name: 'epsilon', shape: [], data: Float32Array.of(1e-3) },
    { name: 'floor', shape: [], data: Float32Array.of(-0.5) },
    { name: 'w3', shape: [1, 3, 9], data: random.normals(27) },
  ];
  const constant = (name: string, dtype: 'DT_FLOAT' | 'DT_INT32') =>
    node(name, 'Const', [], { dtype: { type: dtype } });
  const topology = {
    node: [
      node('x', 'Placeholder', [], {
        dtype: floatType,
        shape: { shape: { dim: [{ size: '-1' }, { size: '4' }] } },
      }),
      ...['w1', 'b1', 'w2', 'epsilon', 'floor', 'w3'].map((name) => constant(name, 'DT_FLOAT')),
      constant('axis', 'DT_INT32'),
      constant('axes', 'DT_INT32'),
      node('h', 'MatMul', ['x', 'w1'], { transpose_a: flag(false), transpose_b: flag(false) }),
      node('hb', 'BiasAdd', ['h', 'b1'], { data_format: { s: btoa('NHWC') } }),
      node('r', 'Relu', ['hb']),
      node('z', 'MatMul', ['r', 'w2'], { transpose_a: flag(false), transpose_b: flag(false) }),
      node('c', 'ConcatV2', ['r', 'z', 'axis'], { N: { i: '2' } }),
      node('mean', 'Mean', ['c', 'axes'], { keep_dims: flag(true) }),
      node('centred', 'Sub', ['c', 'mean']),
      node('square', 'Square', ['centred']),
      node('variance', 'Mean', ['square', 'axes'], { keep_dims: flag(true) }),
      node('shifted', 'AddV2', ['variance', 'epsilon']),
      node('scale', 'Rsqrt', ['shifted']),
      node('normed', 'Mul', ['centred', 'scale']),
      node('clipped', 'Maximum', ['normed', 'floor']),
      node('rows', 'ExpandDims', ['clipped', 'axes']),
      node('logits3', 'BatchMatMulV2', ['rows', 'w3'], { adj_x: flag(false), adj_y: flag(true) }),
      node('logits', 'Squeeze', ['logits3'], { squeeze_dims: { list: { i: ['1'] } } }),
      node('out', 'Softmax', ['logits']),
      // A second head with an op core's set lacks.
      node('odd', 'Elu', ['r']),
    ],
    versions: { producer: 1 },
  };
  const bytes = weights.map((weight) => new Uint8Array(weight.data.buffer));
  const weightData = new Uint8Array(bytes.reduce((total, part) => total + part.length, 0));
  bytes.reduce((offset, part) => {
    weightData.set(part, offset);
    return offset + part.length;
  }, 0);
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: topology,
      weightSpecs: weights.map(({ name, shape, data }) => ({
        name,
        shape,
        dtype: data instanceof Int32Array ? ('int32' as const) : ('float32' as const),
      })),
      weightData: weightData.buffer,
    }),
  );
}

let model: tf.GraphModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  model = await handWrittenGraphModel();
});

const random = new SeededRandom(9);
const rows = Array.from({ length: 6 }, () => random.normals(4));
const toFeeds = (inputs: readonly Float32Array[]) => ({
  x: tf.tensor2d(
    inputs.flatMap((row) => Array.from(row)),
    [inputs.length, 4],
  ),
});

describe('loadTfjsGraphModel on the ops converted models hold', () => {
  it('imports ConcatV2, a decomposed layer norm, Maximum and an adjoint BatchMatMul, and matches the graph', async () => {
    const backend = createTfjsBackend(tf);
    const loaded = await loadTfjsGraphModel(model, {
      editAt: 'h',
      output: 'out',
      toFeeds,
      examples: rows.slice(0, 4),
      backend,
    });
    expect(loaded.keyDimension).toBe(4);
    expect(loaded.valueDimension).toBe(6);
    const types = loaded.suffix.nodes.map((entry) => entry.opType);
    for (const type of ['Concat', 'ReduceMean', 'Pow', 'Relu', 'Transpose', 'Reshape', 'Softmax'])
      expect(types).toContain(type);
    // The loss is on the logits, before the Softmax.
    expect(loaded.suffix.nodes.at(-1)?.inputs[0]).toBe('logits');

    const editor = new GraceEditor(loaded, { backend, epsInit: 0.5 });
    const before = await editor.predict(rows);
    const wanted = ((before[0] as number) + 1) % 3;
    const result = await editor.edit({ input: rows[0] as Float32Array, label: wanted });
    expect(result.fixed).toBe(true);
    const after = await editor.predict(rows);
    expect(after[0]).toBe(wanted);
    editor.dispose();
  }, 60_000);

  it('names an op it cannot import with its node, and lists the edit points for a wrong one', async () => {
    await expect(
      loadTfjsGraphModel(model, { editAt: 'h', output: 'odd', toFeeds, examples: rows.slice(0, 3) }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED_OP', message: expect.stringContaining("node 'odd' (Elu)") });
    await expect(
      loadTfjsGraphModel(model, { editAt: 'x', output: 'out', toFeeds, examples: rows.slice(0, 3) }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('edit points: h, z, logits3'),
    });
  });
});
