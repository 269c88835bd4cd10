import { describe, expect, it } from 'vitest';
import { isGraceError } from '../errors.js';
import { editableSequentialModel } from './sequential-editable-model.js';
import { SequentialModel } from './sequential-model.js';

const errorOf = (action: () => unknown): unknown => {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('SequentialModel layer names', () => {
  const model = SequentialModel.fromWeights({
    inputWidth: 2,
    loss: 'softmax-cross-entropy',
    layers: [
      { kind: 'dense', name: 'dense0', weight: new Float32Array(6), bias: new Float32Array(3) },
      { kind: 'relu', name: 'relu0' },
      { kind: 'dense', name: 'dense1', weight: new Float32Array(6), bias: new Float32Array(2) },
    ],
  });

  it('resolves a layer by its name or by its index, to the same layer', () => {
    expect(model.layerIndex('dense1')).toBe(2);
    expect(model.layerIndex(2)).toBe(2);
    expect(editableSequentialModel(model, 'dense1').layerId).toBe('dense1');
    expect(editableSequentialModel(model, 2).layerId).toBe('dense1');
    expect(model.parameterNames(2, 3)).toEqual(['dense1.weight', 'dense1.bias']);
  });

  it('refuses an unknown name, an out-of-range index or an activation, listing the layers', () => {
    for (const reference of ['layer2', 3, -1, 1.5]) {
      const error = errorOf(() => model.layerIndex(reference));
      expect(isGraceError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain('0 dense0 (dense 2→3), 1 relu0, 2 dense1 (dense 3→2)');
    }
    expect(
      isGraceError(
        errorOf(() => editableSequentialModel(model, 'relu0')),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });

  it('refuses duplicate and empty names', () => {
    for (const names of [
      ['same', 'same'],
      ['', 'other'],
    ]) {
      const error = errorOf(() =>
        SequentialModel.create({
          inputWidth: 2,
          loss: 'softmax-cross-entropy',
          layers: [
            { kind: 'dense', units: 2, name: names[0] as string },
            { kind: 'relu', name: names[1] as string },
          ],
        }),
      );
      expect(isGraceError(error, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('keeps layer<i> as the default name', () => {
    const plain = SequentialModel.create({
      inputWidth: 2,
      loss: 'softmax-cross-entropy',
      layers: [{ kind: 'dense', units: 2 }, { kind: 'relu' }],
    });
    expect(plain.layers.map((layer) => layer.name)).toEqual(['layer0', 'layer1']);
  });
});

describe('SequentialModel weight layouts', () => {
  // PyTorch's nn.Linear(3, 2).weight is [out, in] = [[1, 2, 3], [4, 5, 6]].
  const outIn = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const inOut = Float32Array.from([1, 4, 2, 5, 3, 6]);

  it('transposes an out-in (PyTorch) weight on import, by model or by layer', () => {
    const byModel = SequentialModel.fromWeights({
      inputWidth: 3,
      loss: 'softmax-cross-entropy',
      weightLayout: 'out-in',
      layers: [{ kind: 'dense', weight: outIn, bias: new Float32Array(2) }],
    });
    const byLayer = SequentialModel.fromWeights({
      inputWidth: 3,
      loss: 'softmax-cross-entropy',
      layers: [{ kind: 'dense', weight: outIn, bias: new Float32Array(2), layout: 'out-in' }],
    });
    const native = SequentialModel.fromWeights({
      inputWidth: 3,
      loss: 'softmax-cross-entropy',
      layers: [{ kind: 'dense', weight: inOut, bias: new Float32Array(2) }],
    });
    expect(byModel.layers[0]?.weight).toEqual(inOut);
    expect(byLayer.layers[0]?.weight).toEqual(inOut);
    expect(native.layers[0]?.weight).toEqual(inOut);
  });

  it('still checks the widths of an out-in weight', () => {
    const error = errorOf(() =>
      SequentialModel.fromWeights({
        inputWidth: 4,
        loss: 'softmax-cross-entropy',
        weightLayout: 'out-in',
        layers: [{ kind: 'dense', weight: outIn, bias: new Float32Array(2) }],
      }),
    );
    expect(isGraceError(error, 'SHAPE_MISMATCH')).toBe(true);
  });
});
