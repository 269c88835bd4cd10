import { describe, expect, test } from 'vitest';
import { listEditPoints } from './cut-onnx-model.js';
import { loadOnnxModel } from './load-onnx-model.js';
import { floatTensor, onnxModelBytes, onnxNode, tensorDeclaration } from './onnx-model-builder.js';
import { onnx } from './onnx-proto-types.js';
import { readOnnxModel } from './read-onnx-model.js';

/** x [N, 4] → If(flag) { then: MatMul 'inner' by w; else: Identity } → y [N, 4]: the only layer is in a branch. */
function layerInsideIf(): Uint8Array {
  const branch = (nodes: ReturnType<typeof onnxNode>[], name: string) =>
    onnx.GraphProto.create({
      name,
      node: nodes,
      output: [tensorDeclaration({ name: `${name}.y`, shape: ['N', 4] })],
    });
  const ifNode = onnxNode('If', ['flag'], ['y'], {}, 'choose');
  ifNode.attribute = [
    {
      name: 'then_branch',
      type: 5,
      g: branch([onnxNode('MatMul', ['x', 'w'], ['then.y'], {}, 'inner')], 'then'),
    },
    { name: 'else_branch', type: 5, g: branch([onnxNode('Identity', ['x'], ['else.y'])], 'else') },
  ];
  return onnxModelBytes({
    inputs: [
      { name: 'x', shape: ['N', 4] },
      { name: 'flag', shape: [], type: 'bool' },
    ],
    outputs: [{ name: 'y', shape: ['N', 4] }],
    initializers: [floatTensor('w', new Float32Array(16).fill(0.5), [4, 4])],
    nodes: [ifNode],
  });
}

describe('layers inside control flow', () => {
  test('listing edit points names the If that holds the layers, never a raw runtime error', async () => {
    const model = await readOnnxModel(layerInsideIf());
    await expect(listEditPoints(model)).rejects.toMatchObject({
      code: 'UNSUPPORTED_OP',
      message: expect.stringContaining("'inner' in If 'choose'"),
    });
  });

  test('loading at a layer inside a branch is refused naming the layer and its If', async () => {
    await expect(loadOnnxModel(layerInsideIf(), { editAt: 'inner' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_OP',
      message: expect.stringContaining("layer 'inner' lives inside the subgraph of If node 'choose'"),
    });
  });
});
