import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { type GraceBackend, GraceEditor } from '@grace/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGenerator } from './create-generator.js';
import { describeOnGenerationBackends } from './generation-test-backends.js';
import { continuationEdit, loadOnnxCausalLm, type OnnxCausalLm } from './load-onnx-causal-lm.js';
import { loadOnnxDecoder, type OnnxDecoder } from './load-onnx-decoder.js';
import { transformerFixtureDirectory } from './transformer-fixtures.js';

/**
 * `span` edits end to end: trained on GPT-2 without a cache (teacher-forced target, `gpt2-lm.onnx`), generated from
 * the same weights with a cache (`gpt2-lm-past.onnx`). At the last block's MLP projection nothing after the layer
 * mixes tokens, so `last` sets only the first new token and `all` writes one vector at every token; a span writes
 * its own vector at each position of the continuation, so any target up to S tokens can be taught there.
 */
const lastProjection = 'node_Gemm_307';
const prompt = [12, 40, 7, 65];
const others = [
  [35, 37, 72, 78, 75],
  [29, 85],
  [42, 78, 86, 24, 70, 44, 91],
];
/** The fixture's vocabulary has no end-of-text token; any id serves as one for the test. */
const endToken = 95;
const spanLength = 4;
const layerOptions = { replacement: 'span', spanLength } as const;

let model: OnnxCausalLm;
let decoder: OnnxDecoder;
let greedy: number[];
let unedited: number[][];
beforeAll(async () => {
  model = await loadOnnxCausalLm(join(transformerFixtureDirectory, 'gpt2-lm.onnx'), {
    editAt: lastProjection,
    endToken,
    ...layerOptions,
  });
  decoder = await loadOnnxDecoder(join(transformerFixtureDirectory, 'gpt2-lm-past.onnx'), {
    editAt: lastProjection,
  });
  const [first, ...rest] = await createGenerator(decoder).generate([prompt, ...others], {
    maxNewTokens: spanLength + 2,
  });
  greedy = first?.tokens ?? [];
  unedited = rest.map((sequence) => sequence.tokens);
});
afterAll(async () => Promise.all([model.release(), decoder.release()]));

/**
 * A target the unedited model does not produce: its greedy continuation's first tokens, each moved by a different
 * amount (the fixture tends to echo the token it is fed, so a target of one repeated token would teach little).
 */
const movedOffGreedy = (length: number) =>
  greedy.slice(0, length).map((token, index) => (token + 17 + 11 * index) % endToken);

function spanEditChecks(name: string, makeBackend: () => Promise<GraceBackend>): void {
  describe(`a trained span edit on ${name}`, () => {
    let backend: GraceBackend;
    beforeAll(async () => {
      backend = await makeBackend();
    });

    test('a target of S tokens: generated exactly, with and without the cache; the other prompts unchanged', async () => {
      const target = movedOffGreedy(spanLength);
      expect(greedy.slice(0, spanLength)).not.toEqual(target);
      const editor = new GraceEditor(model, { backend, epsInit: 0.03, keyToken: 'last', ...layerOptions });
      const result = await editor.edit(continuationEdit(prompt, target));
      expect(result.fixed).toBe(true);
      expect(editor.codebook.valueDimension).toBe(spanLength * decoder.valueDimension);
      const generator = createGenerator(decoder, editor);
      const runs = [];
      for (const cache of [true, false]) {
        const [edited, ...rest] = await generator.generate([prompt, ...others], {
          maxNewTokens: spanLength + 2,
          cache,
        });
        expect(edited?.tokens.slice(0, spanLength)).toEqual(target);
        expect(edited?.keyIndex).toBe(result.keyIndex);
        expect(rest.map((sequence) => sequence.tokens)).toEqual(unedited);
        runs.push(edited?.tokens);
      }
      expect(runs[1]).toEqual(runs[0]);
      editor.dispose();
    });

    test('a shorter target is trained followed by the end token: generation stops right after it', async () => {
      const target = movedOffGreedy(2);
      const editor = new GraceEditor(model, { backend, epsInit: 0.03, keyToken: 'last', ...layerOptions });
      const result = await editor.edit(continuationEdit(prompt, target));
      expect(result.fixed).toBe(true);
      const generator = createGenerator(decoder, editor);
      for (const cache of [true, false]) {
        const [edited, ...rest] = await generator.generate([prompt, ...others], {
          maxNewTokens: spanLength + 2,
          stop: [endToken],
          cache,
        });
        expect(edited?.tokens).toEqual([...target, endToken]);
        expect(edited?.finishReason).toBe('stop');
        // The unedited continuations never produce the stand-in end token, so they run to the length limit.
        expect(rest.map((sequence) => sequence.tokens)).toEqual(unedited);
      }
      editor.dispose();
    });
  });
}

await describeOnGenerationBackends(spanEditChecks);

describe('span edits refused', () => {
  test('a target longer than S, or shorter without an end token, and a bad span length: INVALID_ARGUMENT', async () => {
    const backend = createCpuBackend();
    const editor = new GraceEditor(model, { backend, ...layerOptions });
    await expect(editor.edit(continuationEdit(prompt, movedOffGreedy(spanLength + 1)))).rejects.toMatchObject(
      {
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('longer than the span'),
      },
    );
    expect(editor.codebook.size).toBe(0);
    const unpadded = await loadOnnxCausalLm(join(transformerFixtureDirectory, 'gpt2-lm.onnx'), {
      editAt: lastProjection,
      ...layerOptions,
    });
    try {
      const strict = new GraceEditor(unpadded, { backend, ...layerOptions });
      await expect(strict.edit(continuationEdit(prompt, movedOffGreedy(2)))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('give endToken'),
      });
      expect(strict.codebook.size).toBe(0);
    } finally {
      await unpadded.release();
    }
    for (const options of [
      { spanLength: 0, replacement: 'span' },
      { spanLength: 2, replacement: 'last' },
    ] as const) {
      await expect(
        loadOnnxCausalLm(join(transformerFixtureDirectory, 'gpt2-lm.onnx'), {
          editAt: lastProjection,
          ...options,
        }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('spanLength') });
    }
    await expect(
      loadOnnxCausalLm(join(transformerFixtureDirectory, 'gpt2-lm.onnx'), {
        editAt: lastProjection,
        endToken: 96,
        ...layerOptions,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('endToken') });
  });
});
