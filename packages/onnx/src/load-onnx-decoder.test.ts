import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGenerator } from './create-generator.js';
import { decoderFeeds, feedsFor } from './decoder-feeds.js';
import { loadOnnxDecoder, type OnnxDecoder } from './load-onnx-decoder.js';
import { transformerFixtureDirectory } from './transformer-fixtures.js';

/** The GPT-2 fixture exported with its key/value cache, and its PyTorch reference. */
const pastModelPath = join(transformerFixtureDirectory, 'gpt2-lm-past.onnx');
interface PastReference {
  readonly inputs: { input_ids: number[][]; attention_mask: number[][]; position_ids: number[][] };
  readonly expected: number[][][];
  readonly step: {
    readonly inputs: { input_ids: number[][]; attention_mask: number[][]; position_ids: number[][] };
    readonly expected: number[][][];
  };
  readonly greedy: { prompts: number[][]; newTokens: number; continuations: number[][] };
}
const reference = JSON.parse(readFileSync(join(transformerFixtureDirectory, 'reference.json'), 'utf8'))
  .models['gpt2-lm-past'] as PastReference;

/** Largest |onnxruntime − PyTorch| over the real (unmasked) positions of `[B, S, V]` logits. */
function realPositionDifference(logits: ort.Tensor, expected: number[][][], mask: number[][]): number {
  const [, columns = 0, vocabulary = 0] = logits.dims;
  const data = logits.data as Float32Array;
  let largest = 0;
  expected.forEach((rows, row) => {
    rows.forEach((values, column) => {
      const maskColumn = (mask[row]?.length ?? 0) - columns + column;
      if (mask[row]?.[maskColumn] !== 1) return;
      values.forEach((value, token) => {
        const actual = data[(row * columns + column) * vocabulary + token] as number;
        largest = Math.max(largest, Math.abs(actual - value));
      });
    });
  });
  return largest;
}

describe('GPT-2 with its key/value cache (dynamo, flat past/present tensors)', () => {
  let decoder: OnnxDecoder;
  beforeAll(async () => {
    decoder = await loadOnnxDecoder(pastModelPath, { editAt: 'node_Gemm_286' });
  });
  afterAll(async () => decoder.release());

  test('reads the roles, the cache pairs and the widths of the edited layer', () => {
    expect(decoder.inputs.positionIds?.name).toBe('position_ids');
    expect(decoder.cache.map((entry) => [entry.past, entry.present, entry.heads, entry.headSize])).toEqual([
      ['past_key_0', 'present_key_0', 4, 8],
      ['past_value_0', 'present_value_0', 4, 8],
      ['past_key_1', 'present_key_1', 4, 8],
      ['past_value_1', 'present_value_1', 4, 8],
    ]);
    expect([decoder.keyDimension, decoder.valueDimension, decoder.vocabularySize]).toEqual([64, 32, 96]);
    // Block 0's MLP output: block 0's cache is computed before the cut, block 1's after it.
    expect(decoder.cut.prefixPresents).toEqual(['present_key_0', 'present_value_0']);
    expect(decoder.cut.suffixPresents).toEqual(['present_key_1', 'present_value_1']);
  });

  test('a right-padded prefill and a cached step agree with PyTorch at every real position', async () => {
    const prefill = await decoder.fullSession.run(
      decoderFeeds(decoder.inputs, decoder.cache, {
        tokens: reference.inputs.input_ids,
        attentionMask: reference.inputs.attention_mask,
        positions: reference.inputs.position_ids,
        pastLength: 0,
      }),
    );
    expect(
      realPositionDifference(
        prefill.logits as ort.Tensor,
        reference.expected,
        reference.inputs.attention_mask,
      ),
    ).toBeLessThan(1e-5);
    const past = new Map(decoder.cache.map((entry) => [entry.past, prefill[entry.present] as ort.Tensor]));
    const step = await decoder.fullSession.run(
      decoderFeeds(decoder.inputs, decoder.cache, {
        tokens: reference.step.inputs.input_ids,
        attentionMask: reference.step.inputs.attention_mask,
        positions: reference.step.inputs.position_ids,
        pastLength: 7,
        past,
      }),
    );
    expect(
      realPositionDifference(
        step.logits as ort.Tensor,
        reference.step.expected,
        reference.step.inputs.attention_mask,
      ),
    ).toBeLessThan(1e-5);
  });

  test("prefix + suffix sessions on a non-empty cache give the whole model's logits and presents (≤ 1e-5)", async () => {
    const prefillRun = {
      tokens: reference.inputs.input_ids,
      attentionMask: reference.inputs.attention_mask,
      positions: reference.inputs.position_ids,
      pastLength: 0,
    };
    const prefill = await decoder.fullSession.run(decoderFeeds(decoder.inputs, decoder.cache, prefillRun));
    const past = new Map(decoder.cache.map((entry) => [entry.past, prefill[entry.present] as ort.Tensor]));
    const feeds = decoderFeeds(decoder.inputs, decoder.cache, {
      tokens: reference.step.inputs.input_ids,
      attentionMask: reference.step.inputs.attention_mask,
      positions: reference.step.inputs.position_ids,
      pastLength: 7,
      past,
    });
    const whole = await decoder.fullSession.run(feedsFor(decoder.fullSession, feeds));
    const prefix = await decoder.prefixSession.run(feedsFor(decoder.prefixSession, feeds));
    const suffixFeeds = { ...feeds, ...prefix } as Record<string, ort.Tensor>;
    const suffix = await decoder.suffixSession.run(feedsFor(decoder.suffixSession, suffixFeeds));
    const cutOutputs = { ...prefix, ...suffix };
    // Not bit for bit: onnxruntime fuses the graph differently on each side of the cut.
    for (const name of [decoder.logits, ...decoder.cache.map((entry) => entry.present)]) {
      const cut = cutOutputs[name] as ort.Tensor;
      const expected = (whole[name] as ort.Tensor).data as Float32Array;
      expect(cut.dims).toEqual((whole[name] as ort.Tensor).dims);
      const difference = Math.max(
        ...Array.from(cut.data as Float32Array, (value, index) =>
          Math.abs(value - (expected[index] as number)),
        ),
      );
      expect(difference).toBeLessThan(1e-5);
    }
  });

  test("the unedited generation of a padded batch is PyTorch's greedy continuation of each prompt alone", async () => {
    const generator = createGenerator(decoder);
    for (const cache of [true, false]) {
      const generated = await generator.generate(reference.greedy.prompts, {
        maxNewTokens: reference.greedy.newTokens,
        cache,
      });
      expect(generated.map((sequence) => sequence.tokens)).toEqual(reference.greedy.continuations);
      expect(
        generated.every((sequence) => sequence.finishReason === 'length' && sequence.keyIndex === -1),
      ).toBe(true);
    }
  });

  test('bad roles and edit points are refused naming them', async () => {
    await expect(
      loadOnnxDecoder(pastModelPath, { editAt: 'node_Gemm_286', positionIds: 'positions' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining("positionIds 'positions' is not an input"),
    });
    await expect(loadOnnxDecoder(pastModelPath, { editAt: 'no_such_node' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining("'no_such_node' is not a MatMul or Gemm node"),
    });
    await expect(
      loadOnnxDecoder(pastModelPath, { editAt: 'node_Gemm_286', logits: 'scores' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('GPT-2 exported without its cache', () => {
  test('generates without the cache only, one prompt length per batch, as PyTorch does', async () => {
    const decoder = await loadOnnxDecoder(join(transformerFixtureDirectory, 'gpt2-lm.onnx'), {
      editAt: 'node_Gemm_286',
    });
    try {
      expect(decoder.cache).toEqual([]);
      expect(decoder.inputs.positionIds).toBeUndefined();
      const generator = createGenerator(decoder);
      const [prompt, other] = reference.greedy.prompts as [number[], number[]];
      await expect(generator.generate([prompt], { maxNewTokens: 2 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('generate with cache: false'),
      });
      await expect(
        generator.generate([prompt, other], { maxNewTokens: 2, cache: false }),
      ).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('no position ids input'),
      });
      const [generated] = await generator.generate([prompt], { maxNewTokens: 8, cache: false });
      expect(generated?.tokens).toEqual(reference.greedy.continuations[0]);
    } finally {
      await decoder.release();
    }
  });
});
