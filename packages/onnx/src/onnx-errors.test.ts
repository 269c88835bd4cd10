import { isGraceError } from '@grace/core';
import { describe, expect, test } from 'vitest';
import { generatedMlpBytes } from './generated-test-models.js';
import { loadOnnxModel } from './load-onnx-model.js';
import { floatTensor, onnxModelBytes, onnxNode } from './onnx-model-builder.js';
import { readOnnxModel } from './read-onnx-model.js';

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isGraceError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a GraceError');
}

describe('bad models give typed errors', () => {
  test('bytes that are not ONNX', async () => {
    const text = new TextEncoder().encode(
      'this is not a model, just some text that protobuf may half decode',
    );
    expect((await codeOf(readOnnxModel(text))).code).toBe('FILE_CONTENT_INVALID');
    expect((await codeOf(loadOnnxModel(new Uint8Array([0xff, 0xff, 0xff]), { editAt: 'fc2' }))).code).toBe(
      'FILE_CONTENT_INVALID',
    );
  });

  test('an edit point that is not a MatMul or Gemm of the model names the candidates', async () => {
    const failure = await codeOf(loadOnnxModel(generatedMlpBytes(), { editAt: 'relu1' }));
    expect(failure.code).toBe('INVALID_ARGUMENT');
    expect(failure.message).toContain('fc1, fc2, classifier');
  });

  test('an op after the cut outside the suffix op set names the op and the node', async () => {
    const bytes = onnxModelBytes({
      inputs: [{ name: 'x', shape: ['N', 4] }],
      outputs: [{ name: 'y', shape: ['N', 2] }],
      initializers: [floatTensor('w', new Float32Array(8).fill(0.5), [4, 2])],
      nodes: [
        onnxNode('MatMul', ['x', 'w'], ['h'], {}, 'dense'),
        onnxNode('HardSigmoid', ['h'], ['y'], {}, 'gate'),
      ],
    });
    const failure = await codeOf(loadOnnxModel(bytes, { editAt: 'dense' }));
    expect(failure.code).toBe('UNSUPPORTED_OP');
    expect(failure.message).toContain("'gate'");
    expect(failure.message).toContain('HardSigmoid');
  });

  test('a named dimension without a size that the model cannot leave to run time', async () => {
    const bytes = onnxModelBytes({
      inputs: [{ name: 'x', shape: ['N', 'features'] }],
      outputs: [{ name: 'y', shape: ['N', 2] }],
      initializers: [floatTensor('w', new Float32Array(8).fill(0.5), [4, 2])],
      nodes: [onnxNode('MatMul', ['x', 'w'], ['y'], {}, 'dense')],
    });
    // `features` is probed at run-time sizes, which the MatMul's [4, 2] weight refuses: the error says to fix it.
    const failure = await codeOf(loadOnnxModel(bytes, { editAt: 'dense' }));
    expect(failure.code).toBe('UNSUPPORTED_OP');
    expect(failure.message).toContain('features = 5');
    expect(failure.message).toContain('options.dimensions');
  });
});
