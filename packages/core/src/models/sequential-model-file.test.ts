import { describe, expect, it } from 'vitest';
import { isGraceError } from '../errors.js';
import { encodeSafetensors } from '../safetensors.js';
import { SequentialModel } from './sequential-model.js';
import { decodeSequentialModel, encodeSequentialModel } from './sequential-model-file.js';

const model = SequentialModel.create({
  inputWidth: 3,
  layers: [
    { kind: 'dense', units: 4, name: 'hidden' },
    { kind: 'tanh' },
    { kind: 'dense', units: 2, name: 'head' },
  ],
  loss: 'sigmoid-cross-entropy',
  seed: 5,
});

const codeOf = (action: () => unknown): string | undefined => {
  try {
    action();
  } catch (error) {
    return isGraceError(error) ? error.code : 'not a GraceError';
  }
  return undefined;
};

describe('the sequential-model file', () => {
  it('loads back the same architecture, names, loss and weights', () => {
    const loaded = decodeSequentialModel(encodeSequentialModel(model));
    expect(loaded.inputWidth).toBe(3);
    expect(loaded.loss).toBe('sigmoid-cross-entropy');
    expect(loaded.layers.map((layer) => [layer.kind, layer.name])).toEqual([
      ['dense', 'hidden'],
      ['tanh', 'layer1'],
      ['dense', 'head'],
    ]);
    for (const [index, layer] of model.layers.entries()) {
      expect(loaded.layers[index]?.weight).toEqual(layer.weight);
      expect(loaded.layers[index]?.bias).toEqual(layer.bias);
    }
  });

  it('refuses other files, other versions and missing or misshapen tensors with typed errors', () => {
    const bytes = encodeSequentialModel(model);
    expect(codeOf(() => decodeSequentialModel(bytes.subarray(0, 4)))).toBe('FILE_TRUNCATED');
    const weights = model.layers
      .filter((layer) => layer.kind === 'dense')
      .flatMap((layer) => [
        {
          name: `${layer.name}.weight`,
          shape: [layer.inputWidth, layer.outputWidth],
          data: layer.weight as Float32Array,
        },
        { name: `${layer.name}.bias`, shape: [layer.outputWidth], data: layer.bias as Float32Array },
      ]);
    const description = JSON.stringify({
      inputWidth: 3,
      loss: 'sigmoid-cross-entropy',
      layers: [
        { kind: 'dense', name: 'hidden' },
        { kind: 'tanh', name: 'layer1' },
        { kind: 'dense', name: 'head' },
      ],
    });
    const file = (metadata: Record<string, string>, tensors = weights) =>
      encodeSafetensors(tensors, metadata);
    expect(
      codeOf(() =>
        decodeSequentialModel(file({ format: 'grace-sequential-model', version: '1', model: description })),
      ),
    ).toBeUndefined();
    expect(
      codeOf(() =>
        decodeSequentialModel(file({ format: 'grace-codebook', version: '1', model: description })),
      ),
    ).toBe('FILE_HEADER_INVALID');
    expect(
      codeOf(() =>
        decodeSequentialModel(file({ format: 'grace-sequential-model', version: '2', model: description })),
      ),
    ).toBe('FILE_VERSION_UNSUPPORTED');
    expect(
      codeOf(() =>
        decodeSequentialModel(
          file({ format: 'grace-sequential-model', version: '1', model: description }, weights.slice(1)),
        ),
      ),
    ).toBe('FILE_CONTENT_INVALID');
    const swish = description.replace('tanh', 'swish');
    expect(
      codeOf(() =>
        decodeSequentialModel(file({ format: 'grace-sequential-model', version: '1', model: swish })),
      ),
    ).toBe('FILE_CONTENT_INVALID');
    const extra = [...weights, { name: 'stray', shape: [1], data: new Float32Array(1) }];
    expect(
      codeOf(() =>
        decodeSequentialModel(
          file({ format: 'grace-sequential-model', version: '1', model: description }, extra),
        ),
      ),
    ).toBe('FILE_CONTENT_INVALID');
  });
});
