import { editableSequentialModel } from '@grace/core';
import { makeSyntheticData, trainSyntheticClassifier } from '@grace/models';
import { InputError } from './input-error.js';
import type { ServedModel, ServedModelContext } from './served-model.js';

/** Beyond this a coordinate is refused: the model was never trained anywhere near it. */
const coordinateLimit = 1e6;

/**
 * The paper's synthetic 2 → 100 → 100 → 1 ReLU classifier, pre-trained at start-up (about a second on the
 * CPU backend, seeded, so every start makes the same weights) and edited at its first layer, where keys live
 * in the 2-D input plane. It stands in until the real lande model is served by default; it also keeps tests
 * and load benchmarks independent of any model package.
 */
export async function createSyntheticServedModel(
  context: ServedModelContext,
): Promise<ServedModel<readonly number[]>> {
  const { backend, seed } = context;
  const data = makeSyntheticData({ seed, pointsPerCluster: 150 });
  const model = await trainSyntheticClassifier(backend, data.upstream, { seed, epochs: 30 });
  return {
    name: 'synthetic',
    description: "the paper's synthetic 2-D classifier (2 → 100 → 100 → 1 ReLU), edited at layer0",
    model: editableSequentialModel(model, 0),
    inputSchema: {
      type: 'array',
      description: 'a point [x, y] in the plane',
      items: { type: 'number' },
      minItems: 2,
      maxItems: 2,
    },
    labels: [0, 1],
    editorOptions: { epsInit: 0.45, seed, training: { iterations: 100, learningRate: 1.0 } },
    exampleInputs: [
      [-3.3, 0.9],
      [2, 0.5],
      [-1.5, -1],
    ],
    toModelInput(json, field) {
      if (!Array.isArray(json) || json.length !== 2) {
        throw new InputError('INVALID_INPUT', field, 'must be an array of 2 numbers');
      }
      json.forEach((coordinate, index) => {
        if (typeof coordinate !== 'number' || !Number.isFinite(coordinate)) {
          throw new InputError('NON_FINITE', `${field}/${index}`, 'must be a finite number');
        }
        if (Math.abs(coordinate) > coordinateLimit) {
          throw new InputError('OUT_OF_RANGE', `${field}/${index}`, `must be within ±${coordinateLimit}`);
        }
      });
      return json as readonly number[];
    },
  };
}
