import { GraceError, type GraceLayer } from '@grace/core';
import type * as ort from 'onnxruntime-node';
import type { DecoderRun } from './decoder-feeds.js';
import { type DecoderRunResult, EditedDecoderRuns, runFullModel } from './edited-decoder-runs.js';
import type { OnnxDecoder } from './load-onnx-decoder.js';
import { type SamplingOptions, TokenChooser } from './token-chooser.js';

/** How to generate. */
export interface GenerationOptions {
  /** At most this many new tokens per prompt (a positive integer). */
  readonly maxNewTokens: number;
  /** Token ids that end a prompt's continuation; the stop token is the last token returned. */
  readonly stop?: readonly number[];
  /** Seeded sampling; greedy when absent. */
  readonly sampling?: SamplingOptions;
  /**
   * Carry the key/value cache across steps (default `true`, the normal path). `false` recomputes the whole
   * sequence at every step with the prefill's GRACE decision fixed: slower, for checking the cached path.
   */
  readonly cache?: boolean;
  /** The token id put in padding positions (masked out, never attended). Default 0. */
  readonly padToken?: number;
}

/** One prompt's continuation. */
export interface GeneratedSequence {
  /** The new tokens, without the prompt; ends with the stop token when one was generated. */
  readonly tokens: number[];
  readonly finishReason: 'stop' | 'length';
  /** The codebook key that fired for the prompt at prefill, -1 where GRACE deferred (or without GRACE). */
  readonly keyIndex: number;
}

/** Generates continuations of token-id prompts with a decoder, edited or not. */
export interface DecoderGenerator {
  readonly decoder: OnnxDecoder;
  /** Continues each prompt (token ids; prompts of different lengths are batched with right padding). */
  generate(prompts: readonly (readonly number[])[], options: GenerationOptions): Promise<GeneratedSequence[]>;
}

/**
 * A generator over `decoder`, edited by `grace` (a `GraceEditor` or its `GraceLayer`, whose codebook has the
 * decoder's edited layer's dimensions), or the unedited model when `grace` is absent.
 *
 * GRACE decides once per prompt, at prefill, from its key token (by default the last prompt token, at the edited
 * layer's input), and the chosen value replaces the layer output where its replacement mode says: `last` the key
 * token, `prompt` the prompt tokens before it, `all` every prompt token and every generated one, `span` (a value of
 * S vectors) the key token with vector 0 and the token fed at decoding step k with vector k, for k < S — the
 * positions a teacher-forced span edit trained them at. Later tokens see the replacement through attention. Rows are independent: a prompt's continuation does not depend on the
 * other prompts of its batch.
 */
export function createGenerator(
  decoder: OnnxDecoder,
  grace?: { readonly layer: GraceLayer } | GraceLayer,
): DecoderGenerator {
  const layer = grace === undefined ? undefined : 'layer' in grace ? grace.layer : grace;
  if (layer !== undefined) {
    const { keyDimension, valueDimension } = layer.codebook;
    // A `span` value is S vectors of the layer's width, one per token from the key token on.
    const expected = layer.spanLength * decoder.valueDimension;
    if (keyDimension !== decoder.keyDimension || valueDimension !== expected) {
      throw new GraceError(
        'SHAPE_MISMATCH',
        `the codebook is ${keyDimension} → ${valueDimension} wide, the decoder's layer '${decoder.cut.editPoint.name}' ${decoder.keyDimension} → ${decoder.valueDimension}${layer.spanLength > 1 ? ` × ${layer.spanLength} (spanLength)` : ''}`,
        { keyDimension, valueDimension, spanLength: layer.spanLength, layer: decoder.cut.editPoint.name },
      );
    }
  }
  return {
    decoder,
    generate: (prompts, options) => generateTokens(decoder, layer, prompts, options),
  };
}

async function generateTokens(
  decoder: OnnxDecoder,
  layer: GraceLayer | undefined,
  prompts: readonly (readonly number[])[],
  options: GenerationOptions,
): Promise<GeneratedSequence[]> {
  validateGeneration(decoder, prompts, options);
  const cache = options.cache ?? true;
  const padToken = options.padToken ?? 0;
  const stop = new Set(options.stop ?? []);
  const chooser = new TokenChooser(options.sampling);
  const lengths = prompts.map((prompt) => prompt.length);
  const width = Math.max(...lengths);
  const promptTokens = prompts.map((prompt) => [
    ...prompt,
    ...new Array<number>(width - prompt.length).fill(padToken),
  ]);
  const promptMask = lengths.map((length) =>
    Array.from({ length: width }, (_, token) => (token < length ? 1 : 0)),
  );
  const promptPositions = lengths.map((length) =>
    Array.from({ length: width }, (_, token) => Math.min(token, length - 1)),
  );
  const edited = layer === undefined ? undefined : new EditedDecoderRuns(decoder, layer, lengths);
  // What each row was fed after its prompt: its tokens, then padding once it has finished.
  const fed: number[][] = prompts.map(() => []);
  const results = prompts.map(() => ({
    tokens: [] as number[],
    finishReason: undefined as 'stop' | 'length' | undefined,
  }));
  let past: Map<string, ort.Tensor> | undefined;
  for (let step = 0; step < options.maxNewTokens; step++) {
    const run = decoderRun(step, cache, past, {
      promptTokens,
      promptMask,
      promptPositions,
      lengths,
      fed,
    });
    const result: DecoderRunResult =
      edited === undefined
        ? await runFullModel(decoder, run)
        : step === 0
          ? await edited.prefill(run)
          : cache
            ? await edited.cachedStep(run, step)
            : await edited.recomputedStep(run, width);
    past = result.past;
    const logits = result.logits.data as Float32Array;
    const [, columns = 1, vocabulary = 1] = result.logits.dims;
    results.forEach((row, index) => {
      const column = step === 0 ? (lengths[index] as number) - 1 : columns - 1;
      const offset = (index * columns + column) * vocabulary;
      if (row.finishReason !== undefined) {
        (fed[index] as number[]).push(padToken);
        return;
      }
      const token = chooser.choose(logits.subarray(offset, offset + vocabulary));
      row.tokens.push(token);
      (fed[index] as number[]).push(token);
      if (stop.has(token)) row.finishReason = 'stop';
      else if (row.tokens.length === options.maxNewTokens) row.finishReason = 'length';
    });
    if (results.every((row) => row.finishReason !== undefined)) break;
  }
  const keyIndices = edited?.keyIndices;
  return results.map((row, index) => ({
    tokens: row.tokens,
    finishReason: row.finishReason ?? 'length',
    keyIndex: keyIndices === undefined ? -1 : (keyIndices[index] as number),
  }));
}

/** The prompt batch, right-padded, and what each row was fed since. */
interface DecodingState {
  readonly promptTokens: readonly (readonly number[])[];
  readonly promptMask: readonly (readonly number[])[];
  readonly promptPositions: readonly (readonly number[])[];
  readonly lengths: readonly number[];
  readonly fed: readonly (readonly number[])[];
}

/**
 * Run `step` of a generation. The sequence is laid out alike with and without the cache — the padded prompt,
 * then one column per generated token — so both compute the same thing: with the cache a step feeds the last
 * column on the cache of the earlier ones, without it every column again.
 */
function decoderRun(
  step: number,
  cache: boolean,
  past: Map<string, ort.Tensor> | undefined,
  state: DecodingState,
): DecoderRun {
  const attentionMask = state.promptMask.map((mask) => [...mask, ...new Array<number>(step).fill(1)]);
  const generatedPositions = (row: number, from: number): number[] =>
    Array.from({ length: step - from }, (_, index) => (state.lengths[row] as number) + from + index);
  if (cache && step > 0 && past !== undefined) {
    return {
      tokens: state.fed.map((tokens) => [tokens[step - 1] as number]),
      attentionMask,
      positions: state.lengths.map((_, row) => generatedPositions(row, step - 1)),
      pastLength: (state.promptTokens[0]?.length ?? 0) + step - 1,
      past,
    };
  }
  return {
    tokens: state.promptTokens.map((tokens, row) => [
      ...tokens,
      ...(state.fed[row] as number[]).slice(0, step),
    ]),
    attentionMask,
    positions: state.promptPositions.map((positions, row) => [...positions, ...generatedPositions(row, 0)]),
    pastLength: 0,
  };
}

function validateGeneration(
  decoder: OnnxDecoder,
  prompts: readonly (readonly number[])[],
  options: GenerationOptions,
): void {
  if (prompts.length === 0) throw new GraceError('EMPTY_BATCH', 'no prompts to continue', {});
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `maxNewTokens must be a positive integer, got ${options.maxNewTokens}`,
      {
        maxNewTokens: options.maxNewTokens,
      },
    );
  }
  const vocabulary = decoder.vocabularySize;
  const isToken = (token: unknown): boolean =>
    Number.isInteger(token) && (token as number) >= 0 && (token as number) < vocabulary;
  prompts.forEach((prompt, row) => {
    if (prompt.length === 0 || !prompt.every(isToken)) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `prompt ${row} must be a non-empty list of token ids in [0, ${vocabulary})`,
        { row, prompt },
      );
    }
  });
  for (const [name, tokens] of [
    ['stop', options.stop ?? []],
    ['padToken', [options.padToken ?? 0]],
  ] as const) {
    if (!tokens.every(isToken)) {
      throw new GraceError('INVALID_ARGUMENT', `${name} must hold token ids in [0, ${vocabulary})`, {
        [name]: tokens,
      });
    }
  }
  if ((options.cache ?? true) && decoder.cache.length === 0) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      'the decoder has no key/value cache (exported without past_key_values): generate with cache: false',
      {},
    );
  }
  const lengths = new Set(prompts.map((prompt) => prompt.length));
  if (decoder.inputs.positionIds === undefined && lengths.size > 1) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      'the decoder has no position ids input, so prompts of different lengths cannot share a padded batch',
      { lengths: [...lengths] },
    );
  }
}
