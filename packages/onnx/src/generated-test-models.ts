import { SeededRandom } from '@grace/core';
import type * as ort from 'onnxruntime-node';
import type { OnnxEditableModel } from './load-onnx-model.js';
import type { OnnxInput } from './onnx-inputs.js';
import { floatTensor, integerTensor, onnxModelBytes, onnxNode } from './onnx-model-builder.js';

/**
 * Small ONNX models generated in code, for the tests and as examples of what the importer handles: an MLP and
 * a transformer-encoder-like block whose residual connection spans the edited layer.
 */

function weights(
  random: SeededRandom,
  name: string,
  rows: number,
  columns: number,
): ReturnType<typeof floatTensor> {
  const scale = Math.sqrt(2 / rows);
  return floatTensor(
    name,
    Array.from(random.normals(rows * columns), (value) => value * scale),
    [rows, columns],
  );
}

function bias(random: SeededRandom, name: string, width: number): ReturnType<typeof floatTensor> {
  return floatTensor(name, random.floats(width, -0.1, 0.1), [width]);
}

/** x [batch, 4] → dense 16 → ReLU → dense 8 (`fc2`, the edit point) → ReLU → Gemm 3 → Softmax → `probabilities`. */
export function generatedMlpBytes(seed = 1): Uint8Array {
  const random = new SeededRandom(seed);
  return onnxModelBytes({
    name: 'mlp',
    inputs: [{ name: 'x', shape: ['N', 4] }],
    outputs: [{ name: 'probabilities', shape: ['N', 3] }],
    initializers: [
      weights(random, 'w1', 4, 16),
      bias(random, 'b1', 16),
      weights(random, 'w2', 16, 8),
      bias(random, 'b2', 8),
      weights(random, 'w3', 8, 3),
      bias(random, 'b3', 3),
    ],
    nodes: [
      onnxNode('MatMul', ['x', 'w1'], ['fc1.matmul'], {}, 'fc1'),
      onnxNode('Add', ['fc1.matmul', 'b1'], ['fc1.out']),
      onnxNode('Relu', ['fc1.out'], ['relu1']),
      onnxNode('MatMul', ['relu1', 'w2'], ['fc2.matmul'], {}, 'fc2'),
      onnxNode('Add', ['fc2.matmul', 'b2'], ['fc2.out']),
      onnxNode('Relu', ['fc2.out'], ['relu2']),
      onnxNode('Gemm', ['relu2', 'w3', 'b3'], ['logits'], {}, 'classifier'),
      onnxNode('Softmax', ['logits'], ['probabilities'], { axis: -1 }),
    ],
  });
}

/**
 * x [batch, 4 tokens, 8] → pre-norm single-head self-attention with a residual → pre-norm feed-forward whose
 * second MatMul `ffn.down` is the edit point, with the residual stream `attention.residual` added after it (so
 * it crosses the cut) → mean over tokens → a Shape/Gather/Unsqueeze/Concat-computed Reshape → Gemm → `logits`.
 */
export function generatedEncoderBlockBytes(seed = 2): Uint8Array {
  const random = new SeededRandom(seed);
  const width = 8;
  const layerNorm = (input: string, output: string, scale: string, shift: string) =>
    onnxNode('LayerNormalization', [input, scale, shift], [output], { axis: -1, epsilon: { float: 1e-5 } });
  return onnxModelBytes({
    name: 'encoder-block',
    opset: 17,
    inputs: [{ name: 'x', shape: ['batch', 4, width] }],
    outputs: [{ name: 'logits', shape: ['batch', 3] }],
    initializers: [
      floatTensor('ln1.scale', random.floats(width, 0.8, 1.2), [width]),
      floatTensor('ln1.bias', random.floats(width, -0.1, 0.1), [width]),
      weights(random, 'wq', width, width),
      weights(random, 'wk', width, width),
      weights(random, 'wv', width, width),
      weights(random, 'wo', width, width),
      floatTensor('attention.scale', [Math.sqrt(width)], []),
      floatTensor('ln2.scale', random.floats(width, 0.8, 1.2), [width]),
      floatTensor('ln2.bias', random.floats(width, -0.1, 0.1), [width]),
      weights(random, 'ffn.w1', width, 16),
      bias(random, 'ffn.b1', 16),
      weights(random, 'ffn.w2', 16, width),
      bias(random, 'ffn.b2', width),
      weights(random, 'classifier.w', width, 3),
      bias(random, 'classifier.b', 3),
      integerTensor('zero', [0], []),
      integerTensor('axes0', [0]),
      integerTensor('minus-one', [-1]),
    ],
    nodes: [
      layerNorm('x', 'ln1', 'ln1.scale', 'ln1.bias'),
      onnxNode('MatMul', ['ln1', 'wq'], ['q'], {}, 'attention.q'),
      onnxNode('MatMul', ['ln1', 'wk'], ['k'], {}, 'attention.k'),
      onnxNode('MatMul', ['ln1', 'wv'], ['v'], {}, 'attention.v'),
      onnxNode('Transpose', ['k'], ['k.t'], { perm: [0, 2, 1] }),
      onnxNode('MatMul', ['q', 'k.t'], ['scores.raw'], {}, 'attention.scores'),
      onnxNode('Div', ['scores.raw', 'attention.scale'], ['scores']),
      onnxNode('Softmax', ['scores'], ['weights'], { axis: -1 }),
      onnxNode('MatMul', ['weights', 'v'], ['context'], {}, 'attention.context'),
      onnxNode('MatMul', ['context', 'wo'], ['attention.out'], {}, 'attention.output'),
      onnxNode('Add', ['x', 'attention.out'], ['attention.residual']),
      layerNorm('attention.residual', 'ln2', 'ln2.scale', 'ln2.bias'),
      onnxNode('MatMul', ['ln2', 'ffn.w1'], ['ffn.up.matmul'], {}, 'ffn.up'),
      onnxNode('Add', ['ffn.up.matmul', 'ffn.b1'], ['ffn.up.out']),
      onnxNode('Relu', ['ffn.up.out'], ['ffn.hidden']),
      onnxNode('MatMul', ['ffn.hidden', 'ffn.w2'], ['ffn.down.matmul'], {}, 'ffn.down'),
      onnxNode('Add', ['ffn.down.matmul', 'ffn.b2'], ['ffn.down.out']),
      onnxNode('Add', ['attention.residual', 'ffn.down.out'], ['block.out']),
      onnxNode('ReduceMean', ['block.out'], ['pooled'], { axes: [1], keepdims: 0 }),
      onnxNode('Shape', ['pooled'], ['pooled.shape']),
      onnxNode('Gather', ['pooled.shape', 'zero'], ['batch.size'], { axis: 0 }),
      onnxNode('Unsqueeze', ['batch.size', 'axes0'], ['batch.size.1d']),
      onnxNode('Concat', ['batch.size.1d', 'minus-one'], ['flat.shape'], { axis: 0 }),
      onnxNode('Reshape', ['pooled', 'flat.shape'], ['flat']),
      onnxNode('Gemm', ['flat', 'classifier.w', 'classifier.b'], ['logits'], {}, 'classifier'),
    ],
  });
}

/** Random examples for a model input of `size` values per example. */
export function randomExamples(seed: number, count: number, size: number): Float32Array[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () => random.floats(size, -2, 2));
}

/**
 * Half the smallest distance from the first example's query to any other's: an `epsInit` whose ball holds
 * only that example, so tests can show that an edit changes nothing else.
 */
export async function isolatingRadius(
  model: OnnxEditableModel,
  inputs: readonly OnnxInput[],
): Promise<number> {
  const prefix = await model.runPrefixSession(inputs);
  const keys = prefix[model.cut.editPoint.input] as ort.Tensor;
  const data = keys.data as Float32Array;
  const rowWidth = data.length / inputs.length;
  const keyWidth = model.keyDimension;
  // The query is the last token's key for sequence layers, the row itself otherwise.
  const query = (row: number): Float32Array =>
    data.subarray((row + 1) * rowWidth - keyWidth, (row + 1) * rowWidth);
  let nearest = Number.POSITIVE_INFINITY;
  for (let row = 1; row < inputs.length; row++) {
    const distance = Math.hypot(
      ...Array.from(query(row), (value, index) => value - (query(0)[index] as number)),
    );
    nearest = Math.min(nearest, distance);
  }
  return nearest / 2;
}
