import { createCpuBackend } from '@grace/backend-cpu';
import { isGraceError } from '@grace/core';
import { describe, expect, test } from 'vitest';
import { importOnnxGraph } from './import-onnx-graph.js';
import { loadOnnxModel } from './load-onnx-model.js';
import { runImportedGraph } from './node-tests/run-node-test.js';
import {
  boolTensor,
  floatTensor,
  integerTensor,
  onnxModel,
  onnxModelBytes,
  onnxNode,
} from './onnx-model-builder.js';
import { onnxDataType } from './onnx-proto-types.js';
import { encodeOnnxModel, readOnnxModel } from './read-onnx-model.js';
import { translateOnnxNodes } from './translate-onnx-nodes.js';

const backend = createCpuBackend();
const values = Array.from({ length: 12 }, (_, index) => Math.sin(index * 1.3) * 2);

/** Imports a one-input model `x: [3, 4]` and runs it on the cpu backend with `values`. */
async function importAndRun(parts: Parameters<typeof onnxModelBytes>[0], constants = {}) {
  const imported = await importOnnxGraph(await readOnnxModel(onnxModelBytes(parts)), { constants });
  const outputs = await runImportedGraph(
    imported,
    backend,
    new Map([['x', floatTensor('x', values, [3, 4])]]),
  );
  return { imported, outputs };
}

/** Expects `action` to be refused with `UNSUPPORTED_OP` naming `node` and mentioning `words`. */
async function expectRefused(action: Promise<unknown>, node: string, words: string): Promise<void> {
  await expect(action).rejects.toSatisfy(
    (error: unknown) =>
      isGraceError(error, 'UNSUPPORTED_OP') &&
      error.message.includes(`'${node}'`) &&
      error.message.includes(words),
  );
}

const input = [{ name: 'x', shape: [3, 4] }];

describe('importOnnxGraph: a whole graph in the IR, with nothing the IR cannot honour', () => {
  test("LayerNormalization's Mean and InvStdDev outputs are computed, not dropped", async () => {
    const { imported, outputs } = await importAndRun({
      inputs: input,
      outputs: [
        { name: 'y', shape: [3, 4] },
        { name: 'mean', shape: [3, 1] },
        { name: 'inverse', shape: [3, 1] },
      ],
      initializers: [floatTensor('scale', [1, 2, 3, 4], [4])],
      nodes: [
        onnxNode('LayerNormalization', ['x', 'scale'], ['y', 'mean', 'inverse'], { epsilon: 0.5 }, 'norm'),
      ],
    });
    expect(imported.graph.outputs).toEqual(['y', 'mean', 'inverse']);
    for (let row = 0; row < 3; row++) {
      const entries = values.slice(row * 4, row * 4 + 4);
      const mean = entries.reduce((sum, value) => sum + value, 0) / 4;
      const variance = entries.reduce((sum, value) => sum + (value - mean) ** 2, 0) / 4;
      expect(outputs.get('mean')?.data[row]).toBeCloseTo(mean, 5);
      expect(outputs.get('inverse')?.data[row]).toBeCloseTo(1 / Math.sqrt(variance + 0.5), 5);
      expect(outputs.get('y')?.data[row * 4 + 3]).toBeCloseTo(
        (4 * (entries[3] - mean)) / Math.sqrt(variance + 0.5),
        5,
      );
    }
  });

  test('Dropout in training mode is refused with its name; at inference it is Identity and its mask all kept', async () => {
    const dropout = (training: boolean) => ({
      opset: 13,
      inputs: input,
      outputs: [
        { name: 'y', shape: [3, 4] },
        { name: 'mask', shape: [3, 4], type: 'bool' as const },
      ],
      initializers: [floatTensor('ratio', [0.3], []), boolTensor('training', [training], [])],
      nodes: [onnxNode('Dropout', ['x', 'ratio', 'training'], ['y', 'mask'], { seed: 7 }, 'drop')],
    });
    await expectRefused(importAndRun(dropout(true)), 'drop', 'training mode with ratio 0.3');
    const { imported, outputs } = await importAndRun(dropout(false));
    expect(imported.graph.nodes.map((node) => node.opType)).toEqual(['Identity']);
    expect(Array.from(outputs.get('y')?.data ?? [])).toEqual(Array.from(Float32Array.from(values)));
    expect(Array.from(outputs.get('mask')?.data ?? [])).toEqual(new Array(12).fill(1));
  });

  test('the cut refuses Dropout in training mode too, naming the node', async () => {
    const bytes = onnxModelBytes({
      opset: 13,
      inputs: [{ name: 'x', shape: ['N', 4] }],
      outputs: [{ name: 'y', shape: ['N', 2] }],
      initializers: [
        floatTensor('w', values.slice(0, 8), [4, 2]),
        floatTensor('ratio', [0.5], []),
        boolTensor('training', [true], []),
      ],
      nodes: [
        onnxNode('MatMul', ['x', 'w'], ['h'], {}, 'dense'),
        onnxNode('Dropout', ['h', 'ratio', 'training'], ['y'], {}, 'drop'),
      ],
    });
    await expectRefused(loadOnnxModel(bytes, { editAt: 'dense' }), 'drop', 'training mode');
  });

  test('Reshape with allowzero = 1 and a 0 in shape is refused; without a 0 it means the same and imports', async () => {
    const reshape = (from: number[], shape: number[]) =>
      onnxModelBytes({
        inputs: [{ name: 'x', shape: from }],
        outputs: [{ name: 'y', shape: [] }],
        initializers: [integerTensor('shape', shape)],
        nodes: [onnxNode('Reshape', ['x', 'shape'], ['y'], { allowzero: 1 }, 'flat')],
      });
    await expectRefused(
      importOnnxGraph(await readOnnxModel(reshape([0, 4], [4, 0]))),
      'flat',
      'allowzero = 1',
    );
    const { graph } = await importOnnxGraph(await readOnnxModel(reshape([3, 4], [2, 6])));
    expect(graph.nodes[0]?.attributes).toEqual({ shape: [2, 6] });
  });

  test('a folded Shape that is a graph output stays an output, start and end honoured', async () => {
    const { imported, outputs } = await importAndRun({
      inputs: input,
      outputs: [
        { name: 'y', shape: [3, 4] },
        { name: 'dims', shape: [1], type: 'int64' },
      ],
      nodes: [onnxNode('Relu', ['x'], ['y']), onnxNode('Shape', ['x'], ['dims'], { start: -1 }, 'shape')],
    });
    expect(imported.graph.outputs).toEqual(['y', 'dims']);
    expect(imported.outputTypes).toEqual([onnxDataType.float, onnxDataType.int64]);
    expect(Array.from(outputs.get('dims')?.data ?? [])).toEqual([4]);
  });

  test('an attribute the translation does not know, or a tensor attribute, is refused naming node and attribute', () => {
    const scope = { opset: 17, statics: new Map(), shapeOf: () => [3, 4] };
    const translate = (node: ReturnType<typeof onnxNode>) => () => translateOnnxNodes([node], scope);
    expect(translate(onnxNode('Softmax', ['x'], ['y'], { axis: 1, temperature: 2 }, 'soft'))).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED_OP',
        message: expect.stringMatching(/'soft'.*'temperature'/),
      }),
    );
    const withTensor = onnxNode('Relu', ['x'], ['y'], {}, 'relu');
    withTensor.attribute = [{ name: 'table', type: 4, t: floatTensor('table', [1], [1]) }];
    expect(translate(withTensor)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_OP', message: expect.stringMatching(/'relu'.*'table'/) }),
    );
  });

  test('an op outside the IR is refused before anything runs', async () => {
    const parts = {
      inputs: input,
      outputs: [{ name: 'y', shape: [3, 4] }],
      nodes: [onnxNode('Hardmax', ['x'], ['y'], {}, 'hard')],
    };
    await expect(importAndRun(parts)).rejects.toSatisfy(
      (error: unknown) => isGraceError(error, 'UNSUPPORTED_OP') && error.message.includes("'Hardmax'"),
    );
  });

  test('integer operands: a constant integer exponent is read as float, an integer base is refused', async () => {
    const pow = (base: string, exponent: string) => ({
      inputs: input,
      outputs: [{ name: 'y', shape: [3, 4], type: base === 'x' ? ('float32' as const) : ('int64' as const) }],
      initializers: [integerTensor('two', [2], []), integerTensor('ints', new Array(12).fill(3), [3, 4])],
      nodes: [onnxNode('Pow', [base, exponent], ['y'], {}, 'pow')],
    });
    const { outputs } = await importAndRun(pow('x', 'two'));
    expect(outputs.get('y')?.data[5]).toBeCloseTo((values[5] as number) ** 2, 5);
    await expectRefused(importAndRun(pow('ints', 'x')), 'pow', "integer tensor 'ints' is read as data");
  });

  test('integer arithmetic folds only inside its element type (uint8 does not go below 0)', async () => {
    const uint8 = (name: string, data: number[]) => ({
      name,
      dataType: onnxDataType.uint8,
      dims: [data.length],
      rawData: Uint8Array.from(data),
    });
    const proto = onnxModel({
      inputs: [
        { name: 'a', shape: [2] },
        { name: 'b', shape: [2] },
      ],
      outputs: [{ name: 'y', shape: [2] }],
      nodes: [onnxNode('Sub', ['a', 'b'], ['y'], {}, 'sub')],
    });
    for (const value of [...(proto.graph?.input ?? []), ...(proto.graph?.output ?? [])])
      (value.type?.tensorType as { elemType: number }).elemType = onnxDataType.uint8;
    const sub = encodeOnnxModel(proto);
    const fits = await importOnnxGraph(await readOnnxModel(sub), {
      constants: { a: uint8('a', [9, 5]), b: uint8('b', [4, 5]) },
    });
    expect(Array.from(fits.graph.initializers.find((entry) => entry.name === 'y')?.data ?? [])).toEqual([
      5, 0,
    ]);
    await expectRefused(
      importOnnxGraph(await readOnnxModel(sub), {
        constants: { a: uint8('a', [4, 5]), b: uint8('b', [9, 5]) },
      }),
      'sub',
      "integer tensor 'a' is read as data",
    );
  });

  test('SoftmaxCrossEntropyLoss is passed through, over [N, C, D] scores and with its log_prob output', async () => {
    const labels = [0, 3, 1, 2, 2, 0];
    const { outputs } = await importAndRun(
      {
        opset: 13,
        inputs: input,
        outputs: [
          { name: 'loss', shape: [] },
          { name: 'logProbability', shape: [3, 2, 2] },
        ],
        initializers: [integerTensor('cube', [3, 2, 2])],
        nodes: [
          onnxNode('Reshape', ['x', 'cube'], ['scores']),
          onnxNode('SoftmaxCrossEntropyLoss', ['scores', 'labels'], ['loss', 'logProbability'], {}, 'loss'),
        ],
      },
      {
        labels: integerTensor(
          'labels',
          labels.map((label) => label % 2),
          [3, 2],
        ),
      },
    );
    // scores[n, c, d] = values[n*4 + c*2 + d]; the loss is the mean over (n, d) of −log softmax over c.
    let total = 0;
    for (let n = 0; n < 3; n++)
      for (let d = 0; d < 2; d++) {
        const column = [0, 1].map((c) => values[n * 4 + c * 2 + d] as number);
        const label = (labels[n * 2 + d] as number) % 2;
        const logSum = Math.log(column.reduce((sum, value) => sum + Math.exp(value), 0));
        total += logSum - (column[label] as number);
        expect(outputs.get('logProbability')?.data[n * 4 + label * 2 + d]).toBeCloseTo(
          (column[label] as number) - logSum,
          5,
        );
      }
    expect(outputs.get('loss')?.data[0]).toBeCloseTo(total / 6, 5);
  });
});
