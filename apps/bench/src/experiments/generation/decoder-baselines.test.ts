import { createCpuBackend } from '@grace/backend-cpu';
import { type EditingMethod, GraceEditor, labelsEqual, layerFineTuningMethod } from '@grace/core';
import { decoderModelFiles } from '@grace/models-decoder';
import {
  type CausalLmInput,
  editedLayerWeights,
  listEditPoints,
  loadOnnxCausalLm,
  readOnnxModel,
} from '@grace/onnx';
import { expect, test } from 'vitest';
import { UsageError } from '../../usage-error.js';
import {
  continuationLikelihood,
  continuationLikelihoodOf,
  methodTokenScores,
} from './continuation-perplexity.js';
import { expectBaselinesFitReplacement, parseDecoderBaselines } from './decoder-baselines.js';
import { prepareDecoderFacts } from './decoder-facts-setup.js';
import { traceKeys } from './keys-vs-edits.js';

test('--baselines names known baselines only', () => {
  expect(parseDecoderBaselines('fine-tuning,soft-memory')).toEqual(['fine-tuning', 'soft-memory']);
  expect(parseDecoderBaselines('soft-memory,soft-memory')).toEqual(['soft-memory']);
  expect(parseDecoderBaselines('none')).toEqual([]);
  expect(() => parseDecoderBaselines('fine-tuning,rome')).toThrow(UsageError);
});

test('the soft memory is refused before any run with span values, fine-tuning is not', () => {
  expect(() => expectBaselinesFitReplacement(['soft-memory'], 'span')).toThrow(/--replacement all or last/);
  expect(() => expectBaselinesFitReplacement(['fine-tuning'], 'span')).not.toThrow();
  expect(() => expectBaselinesFitReplacement(['fine-tuning', 'soft-memory'], 'all')).not.toThrow();
});

test('keys are traced after every edit, for methods with a memory only', async () => {
  let size = 0;
  const growing: EditingMethod<number> = {
    name: 'grows on odd inputs',
    predict: async (inputs) => inputs.map(() => 0),
    edit: async (example) => {
      size += example.input % 2;
    },
    keys: () => size,
  };
  const traced = traceKeys(growing);
  for (const input of [1, 2, 3]) await traced.method.edit({ input, label: 1 });
  expect(traced.trace).toEqual([
    [1, 1],
    [2, 1],
    [3, 2],
  ]);
  const none = traceKeys({ ...growing, keys: () => null });
  await none.method.edit({ input: 1, label: 1 });
  expect(none.trace).toEqual([]);
});

test("fine-tuning the decoder's last MLP projection: the deployed model before, its edit learnt, held-out text drifted", async () => {
  const backend = createCpuBackend();
  const path = decoderModelFiles().decoder;
  const gemms = (await listEditPoints(await readOnnxModel(path))).filter((point) => point.opType === 'Gemm');
  const model = await loadOnnxCausalLm(path, { editAt: gemms[15]?.name as string, backend });
  const editor = new GraceEditor(model, { backend });
  const weights = editedLayerWeights(model.onnx);
  expect(weights.bias?.length).toBe(model.valueDimension);
  const method = layerFineTuningMethod(backend, model, weights, { steps: 100, learningRate: 1e-3 });
  try {
    const setup = await prepareDecoderFacts({ seed: 20231110, facts: 8, upstreamTokens: 256 });
    const facts = setup.stream.map((example) => example.input);
    const uneditedLabels = await editor.predict(facts);
    const wrong = setup.stream.find(
      (example, index) => !labelsEqual(uneditedLabels[index] as number[], example.label),
    );
    if (wrong === undefined) throw new Error('the decoder completes all 8 facts right');
    const likelihood = (inputs: readonly CausalLmInput[]) =>
      continuationLikelihoodOf(methodTokenScores(method), inputs).then(
        (result) => result.negativeLogLikelihood,
      );
    const unedited = async (inputs: readonly CausalLmInput[]) =>
      (await continuationLikelihood(editor, inputs, { grace: false })).negativeLogLikelihood;
    // The weights read from the graph (bias included) reproduce the deployed decoder.
    expect(await likelihood(facts)).toBeCloseTo(await unedited(facts), 2);
    const upstreamBefore = await unedited(setup.upstreamText);
    expect(await likelihood(setup.upstreamText)).toBeCloseTo(upstreamBefore, 2);

    await method.edit(wrong);
    expect(await likelihood([wrong.input])).toBeLessThan((await unedited([wrong.input])) / 2);
    const upstreamAfter = await likelihood(setup.upstreamText);
    expect(Math.abs(upstreamAfter - upstreamBefore)).toBeGreaterThan(1e-2);
  } finally {
    method.dispose?.();
    editor.dispose();
    await model.release();
  }
}, 120_000);
