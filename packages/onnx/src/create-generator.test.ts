import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { type GraceBackend, GraceLayer, type ReplacementMode, SeededRandom } from '@grace/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGenerator, type GeneratedSequence } from './create-generator.js';
import { directCodebook } from './decoder-test-codebooks.js';
import { describeOnGenerationBackends } from './generation-test-backends.js';
import { loadOnnxDecoder, type OnnxDecoder } from './load-onnx-decoder.js';
import { promptQuery } from './prompt-query.js';
import { transformerFixtureDirectory } from './transformer-fixtures.js';

/** Three prompts of different lengths (5, 2, 7), batched with right padding. */
const prompts = [
  [35, 37, 72, 78, 75],
  [29, 85],
  [42, 78, 86, 24, 70, 44, 91],
];
const maxNewTokens = 8;
const modes: readonly ReplacementMode[] = ['all', 'last', 'prompt', 'span'];
/** S of the `span` layers: vectors for the key token and the tokens fed at the first two decoding steps. */
const spanLength = 3;
const spanOf = (replacement: ReplacementMode) => (replacement === 'span' ? spanLength : 1);
const tokensOf = (sequences: readonly GeneratedSequence[]) => sequences.map((sequence) => sequence.tokens);

let decoder: OnnxDecoder;
let unedited: number[][];
let firstQuery: Float32Array;
let epsInit: number;
beforeAll(async () => {
  decoder = await loadOnnxDecoder(join(transformerFixtureDirectory, 'gpt2-lm-past.onnx'), {
    editAt: 'node_Gemm_286', // block 0's MLP output: block 1's cache lies after the cut
  });
  unedited = tokensOf(await createGenerator(decoder).generate(prompts, { maxNewTokens }));
  const queries = await Promise.all(prompts.map((prompt) => promptQuery(decoder, prompt)));
  firstQuery = queries[0] as Float32Array;
  // A radius a quarter of the distance from prompt 0's query to the nearest other prompt's.
  const distance = (other: Float32Array) =>
    Math.hypot(...Array.from(firstQuery, (value, index) => value - (other[index] as number)));
  epsInit = Math.min(...queries.slice(1).map(distance)) / 4;
});
afterAll(async () => decoder.release());

/**
 * A layer whose codebook fires for prompt 0 (key 0, a large random value: `spanLength` vectors for `span`, the
 * first of them the other modes' value) and holds 50 far keys.
 */
function editedLayer(
  backend: GraceBackend,
  replacement: ReplacementMode,
  spanLength = spanOf(replacement),
): GraceLayer {
  const value = new SeededRandom(11).normals(decoder.valueDimension * spanLength).map((entry) => entry * 20);
  const firing = [{ query: firstQuery, value }];
  const codebook = directCodebook(decoder, { firing, farKeys: 50, epsInit, spanLength });
  return new GraceLayer(backend, codebook, { replacement, keyToken: 'last', spanLength });
}

function generationChecks(name: string, makeBackend: () => Promise<GraceBackend>): void {
  describe(`edited generation on ${name}`, () => {
    let backend: GraceBackend;
    beforeAll(async () => {
      backend = await makeBackend();
    });

    for (const replacement of modes) {
      test(`${replacement}: a firing key changes its prompt's continuation, the others stay the unedited model's; cache and no cache agree`, async () => {
        const layer = editedLayer(backend, replacement);
        const generator = createGenerator(decoder, layer);
        const cached = await generator.generate(prompts, { maxNewTokens });
        const recomputed = await generator.generate(prompts, { maxNewTokens, cache: false });
        expect(tokensOf(recomputed)).toEqual(tokensOf(cached));
        expect(cached.map((sequence) => sequence.keyIndex)).toEqual([0, -1, -1]);
        expect(cached[0]?.tokens).not.toEqual(unedited[0]);
        expect(tokensOf(cached).slice(1)).toEqual(unedited.slice(1));
        // Rows are independent: each prompt alone continues as it does in the padded batch.
        const alone = await Promise.all(
          prompts.map((prompt) => generator.generate([prompt], { maxNewTokens })),
        );
        expect(alone.map(([sequence]) => sequence?.tokens)).toEqual(tokensOf(cached));
        layer.dispose();
      });
    }

    test('keys that do not fire leave every continuation bit-identical to the unedited model (cache and not)', async () => {
      for (const replacement of modes) {
        const spanLength = spanOf(replacement);
        const codebook = directCodebook(decoder, { firing: [], farKeys: 200, spanLength });
        const layer = new GraceLayer(backend, codebook, { replacement, spanLength });
        const generator = createGenerator(decoder, layer);
        for (const cache of [true, false]) {
          const generated = await generator.generate(prompts, { maxNewTokens, cache });
          expect(tokensOf(generated)).toEqual(unedited);
          expect(generated.map((sequence) => sequence.keyIndex)).toEqual([-1, -1, -1]);
        }
        layer.dispose();
      }
    });

    test('span: S = 1 generates what `last` does; a longer span keeps the first token and changes later ones', async () => {
      const generate = async (replacement: ReplacementMode, spanLength: number, cache: boolean) => {
        const layer = editedLayer(backend, replacement, spanLength);
        try {
          return tokensOf(await createGenerator(decoder, layer).generate(prompts, { maxNewTokens, cache }));
        } finally {
          layer.dispose();
        }
      };
      for (const cache of [true, false]) {
        const last = await generate('last', 1, cache);
        expect(await generate('span', 1, cache)).toEqual(last);
        // Vector 0 is `last`'s value, so the prefill and the first token agree; vectors 1 and 2 move what follows.
        const span = await generate('span', spanLength, cache);
        expect(span[0]?.[0]).toBe(last[0]?.[0]);
        expect(span[0]).not.toEqual(last[0]);
        expect(span.slice(1)).toEqual(unedited.slice(1));
      }
    });

    test('seeded sampling: the same draws with and without the cache; stop tokens end a row', async () => {
      const layer = editedLayer(backend, 'all');
      const generator = createGenerator(decoder, layer);
      const sampling = { seed: 3, temperature: 1.5, topK: 20 };
      const cached = await generator.generate(prompts, { maxNewTokens, sampling });
      const recomputed = await generator.generate(prompts, { maxNewTokens, sampling, cache: false });
      expect(tokensOf(recomputed)).toEqual(tokensOf(cached));
      const stopToken = cached[2]?.tokens[2] as number;
      const stopped = await generator.generate(prompts, { maxNewTokens, sampling, stop: [stopToken] });
      const row = stopped[2] as GeneratedSequence;
      expect(row.finishReason).toBe('stop');
      expect(row.tokens.at(-1)).toBe(stopToken);
      expect(row.tokens.length).toBeLessThanOrEqual(3);
      layer.dispose();
    });
  });
}

await describeOnGenerationBackends(generationChecks);

describe('refusals', () => {
  test('bad options and a codebook of another width are refused with a GraceError, before any run', async () => {
    const generator = createGenerator(decoder);
    for (const [options, message] of [
      [{ maxNewTokens: 0 }, 'maxNewTokens must be a positive integer'],
      [{ maxNewTokens: 2, stop: [96] }, 'stop must hold token ids in [0, 96)'],
      [{ maxNewTokens: 2, sampling: { seed: 1, temperature: 0 } }, 'temperature must be > 0'],
    ] as const) {
      await expect(generator.generate(prompts, options)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining(message),
      });
    }
    await expect(generator.generate([], { maxNewTokens: 2 })).rejects.toMatchObject({ code: 'EMPTY_BATCH' });
    await expect(generator.generate([[1, 2.5]], { maxNewTokens: 2 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('prompt 0 must be a non-empty list of token ids'),
    });
    const narrow = new GraceLayer(
      createCpuBackend(),
      directCodebook({ ...decoder, keyDimension: 8 }, { firing: [], farKeys: 1 }),
    );
    expect(() => createGenerator(decoder, narrow)).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
    // A span layer's values are S vectors of the layer's width: a codebook of single vectors does not fit it.
    const twoVectors = directCodebook(decoder, { firing: [], farKeys: 1, spanLength: 2 });
    const backend = createCpuBackend();
    expect(() =>
      createGenerator(decoder, new GraceLayer(backend, twoVectors, { replacement: 'span', spanLength: 1 })),
    ).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });
});
