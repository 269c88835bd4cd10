import type { ReplacementMode } from '../backend.js';
import type { EditableModel } from '../editing/editable-model.js';
import { layerFineTuningMethod } from '../evaluation/layer-fine-tuning-method.js';
import { softMemoryMethod } from '../evaluation/soft-memory-method.js';
import type { EditLabel } from '../labels.js';
import { assertClose, assertTrue } from './assertions.js';
import {
  type ConformanceCase,
  defineConformanceCase,
  type ResolvedConformanceOptions,
} from './conformance-case.js';
import { meanPoolClassifier } from './mean-pool-classifier.js';

/**
 * The baselines GRACE is compared with, on a sequence layer like a decoder's MLP projection: the soft memory
 * against a brute-force reference, and continual fine-tuning of the layer's own weights.
 */

const suite = 'baselines';

/** Rows of 2-wide tokens, of different lengths. */
type TokenRows = readonly (readonly number[])[];

const layerWeight = new Float32Array([0.8, -0.5, 0.3, 0.2, 0.9, -0.7]); // [2, 3]
const layerBias = new Float32Array([0.1, -0.2, 0.05]);
const headWeight = new Float32Array([1, -1, 0.5, -0.5, 1, 0.25, 0.3, 0.6, -1]); // [3, 3]

/** `[T, 3]` rows of `tokens · weight + bias`, each token a `[2]` row. */
function linear(tokens: readonly number[], weight: Float32Array, bias: Float32Array): number[] {
  const rows = tokens.length / 2;
  return Array.from({ length: rows * 3 }, (_, index) => {
    const [token, column] = [Math.floor(index / 3), index % 3];
    const x0 = tokens[token * 2] as number;
    const x1 = tokens[token * 2 + 1] as number;
    return x0 * (weight[column] as number) + x1 * (weight[3 + column] as number) + (bias[column] as number);
  });
}

/** `[3]` logits of the suffix: the mean over the row's padded tokens of `[T, 3]`, times the head. */
function head(activation: readonly number[]): number[] {
  const tokens = activation.length / 3;
  const mean = [0, 1, 2].map(
    (column) =>
      Array.from({ length: tokens }, (_, token) => activation[token * 3 + column] as number).reduce(
        (sum, value) => sum + value,
        0,
      ) / tokens,
  );
  return [0, 1, 2].map((column) =>
    mean.reduce((sum, value, row) => sum + value * (headWeight[row * 3 + column] as number), 0),
  );
}

/** Each row's tokens right-padded with zeros to the batch's longest, flat. */
function padded(inputs: TokenRows): number[][] {
  const longest = Math.max(...inputs.map((tokens) => tokens.length));
  return inputs.map((tokens) => Array.from({ length: longest }, (_, index) => tokens[index] ?? 0));
}

/**
 * A sequence model edited at a linear layer `[B, T, 2] → [B, T, 3]`; the suffix averages the tokens (padding
 * included) and classifies into 3 classes. Rows are right-padded, and `lengths` says each row's real tokens, so
 * each row's key token is its own last one.
 */
function linearSequenceModel(): EditableModel<TokenRows[number]> {
  return {
    layerId: 'projection',
    keyDimension: 2,
    valueDimension: 3,
    ...meanPoolClassifier(3, headWeight),
    async runPrefix(backend, inputs) {
      const rows = padded(inputs);
      const tokens = (rows[0]?.length ?? 0) / 2;
      return {
        layerInput: backend.upload(Float32Array.from(rows.flat()), [inputs.length, tokens, 2]),
        layerOutput: backend.upload(
          Float32Array.from(rows.flatMap((row) => linear(row, layerWeight, layerBias))),
          [inputs.length, tokens, 3],
        ),
        lengths: inputs.map((row) => row.length / 2),
        extras: {},
      };
    },
  };
}

const inputs: TokenRows = [
  [1, 0.5, -0.5, 1, 0.25, 0.25],
  [0.5, -1, 1, 1],
  [-2, 1.5, 0.5, 0.75, 1, -1],
];

/** The class after `label` among three: a label the model does not give. */
const otherClass = (label: EditLabel): number => ((label as number) + 1) % 3;

/** The soft memory's logits computed from its definition, on the host, one row and token at a time. */
function softMemoryReference(
  memory: { readonly keys: readonly Float32Array[]; readonly values: readonly Float32Array[] },
  rows: TokenRows,
  mode: ReplacementMode,
  radius: number,
  sharpness: number,
): number[] {
  const temperature = radius ** 2 / sharpness;
  return padded(rows).flatMap((row, index) => {
    const output = linear(row, layerWeight, layerBias);
    const key = (rows[index]?.length as number) / 2 - 1;
    const query = [row[key * 2] as number, row[key * 2 + 1] as number];
    const weights = [
      Math.exp(-sharpness),
      ...memory.keys.map((stored) =>
        Math.exp(
          -((query[0] - (stored[0] as number)) ** 2 + (query[1] - (stored[1] as number)) ** 2) / temperature,
        ),
      ),
    ];
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    const mixed = output.map((value, flat) => {
      const token = Math.floor(flat / 3);
      const replaced = mode === 'all' || (mode === 'last' ? token === key : token < key);
      if (!replaced) return value;
      return memory.values.reduce(
        (sum, stored, slot) => sum + ((weights[slot + 1] as number) / total) * (stored[flat % 3] as number),
        ((weights[0] as number) / total) * value,
      );
    });
    return head(mixed);
  });
}

export function baselineCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const tolerance = Math.max(options.tolerance, 1e-5);
  return [
    defineConformanceCase(
      suite,
      'the soft memory on a [B, T, D] layer matches a brute-force reference in every replacement mode',
      async (backend) => {
        const model = linearSequenceModel();
        const unedited = padded(inputs).flatMap((row) => head(linear(row, layerWeight, layerBias)));
        for (const mode of ['all', 'last', 'prompt'] as const) {
          const radius = 1.5;
          const soft = softMemoryMethod(backend, model, {
            radius,
            iterations: 30,
            seed: 5,
            replacement: mode,
          });
          try {
            const before = await soft.predict(inputs);
            for (const row of [0, 1]) {
              await soft.edit({
                input: inputs[row] as number[],
                label: otherClass(before[row] as EditLabel),
              });
            }
            const { data } = await soft.predictionOutput(inputs);
            const expected = softMemoryReference(soft.memory(), inputs, mode, radius, 8);
            assertClose(data, expected, tolerance, `${mode}: soft-memory logits`);
            const moved = Math.max(
              ...unedited.map((value, index) => Math.abs(value - (data[index] as number))),
            );
            assertTrue(moved > 1e-3, `${mode}: the memory changed no logit (largest change ${moved})`);
          } finally {
            soft.dispose?.();
          }
        }
      },
    ),
    defineConformanceCase(
      suite,
      "fine-tuning the edited layer: the model's own output before, the edit fixed, every input drifted",
      async (backend) => {
        const model = linearSequenceModel();
        const method = layerFineTuningMethod(
          backend,
          model,
          { weight: layerWeight, bias: layerBias },
          { steps: 40, learningRate: 0.1 },
        );
        const reference = (weight: Float32Array, bias: Float32Array) =>
          padded(inputs).flatMap((row) => head(linear(row, weight, bias)));
        try {
          const before = await method.predictionOutput(inputs);
          assertClose(before.data, reference(layerWeight, layerBias), tolerance, 'unedited logits');
          const [first, second] = await method.predict(inputs);
          const label = otherClass(first as EditLabel);
          await method.edit({ input: inputs[0] as number[], label });
          const afterFirst = await method.predictionOutput(inputs);
          const trained = method.weights();
          assertClose(
            afterFirst.data,
            reference(trained.weight, trained.bias as Float32Array),
            tolerance,
            'logits of the fine-tuned layer',
          );
          assertTrue(
            (await method.predict(inputs))[0] === label,
            'the fine-tuned layer did not fix the edit',
          );
          const drift = Math.abs((afterFirst.data[6] as number) - (before.data[6] as number));
          assertTrue(drift > 1e-3, `an input never edited kept its logits (change ${drift})`);
          await method.edit({ input: inputs[1] as number[], label: otherClass(second as EditLabel) });
          const afterSecond = await method.predictionOutput(inputs);
          const moved = Math.abs((afterSecond.data[0] as number) - (afterFirst.data[0] as number));
          assertTrue(moved > 1e-3, `the second edit left the first edit's logits alone (change ${moved})`);
          assertTrue(
            model.suffix.initializers.length === 1 && model.suffix.nodes.length === 3,
            "the caller's suffix graph changed",
          );
        } finally {
          method.dispose?.();
        }
      },
    ),
  ];
}
