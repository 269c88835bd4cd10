import { GraceError } from '@grace/core';
import * as ort from 'onnxruntime-node';
import { crossingTensorsOf, cutDecoderModel, type DecoderCut } from './cut-decoder-model.js';
import { type DecoderInputs, decoderFeeds } from './decoder-feeds.js';
import { longToNumber, onnx } from './onnx-proto-types.js';
import { encodeOnnxModel, type OnnxModel, readOnnxModel } from './read-onnx-model.js';
import { replaceableLayerModel } from './replaceable-layer-model.js';

/** How to load a causal language model for generation with GRACE. */
export interface LoadOnnxDecoderOptions {
  /** The MatMul or Gemm GRACE wraps: the same layer as the editor's model (see `listEditPoints`). */
  readonly editAt: string;
  /** The `[batch, sequence]` token ids input. Default `input_ids`. */
  readonly inputIds?: string;
  /** The `[batch, past + sequence]` padding mask input. Default `attention_mask`. */
  readonly attentionMask?: string;
  /**
   * The `[batch, sequence]` position ids input. Default `position_ids` when the model has one. A model without
   * one can only generate batches whose prompts have the same length (right padding needs explicit positions).
   */
  readonly positionIds?: string;
  /** The `[batch, sequence, vocabulary]` logits output. Default `logits`. */
  readonly logits?: string;
  /** onnxruntime options for the prefix, suffix and full sessions (threads, graph optimisation). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

/** One attention layer's cache: the past input `[batch, heads, past, headSize]` and its present output. */
export interface DecoderCacheEntry {
  readonly past: string;
  readonly present: string;
  readonly heads: number;
  readonly headSize: number;
}

/**
 * A causal LM cut for decoding with GRACE: the whole model, and the prefix and suffix around the edited layer,
 * on onnxruntime-node. See `createGenerator`.
 */
export interface OnnxDecoder {
  readonly cut: DecoderCut;
  /** Dk and Dv of the edited layer: the codebook's dimensions. */
  readonly keyDimension: number;
  readonly valueDimension: number;
  /** The rank of the edited layer's output: 2 for a Gemm on tokens folded into rows `[B·S, Dv]`, else 3. */
  readonly layerOutputRank: number;
  readonly vocabularySize: number;
  readonly inputs: DecoderInputs;
  /** The logits output's name. */
  readonly logits: string;
  /**
   * The key/value cache, one entry per past input, paired with the presents in the order the graph declares
   * them; empty for a model exported without `past_key_values` (it generates without a cache only).
   */
  readonly cache: readonly DecoderCacheEntry[];
  readonly prefixSession: ort.InferenceSession;
  readonly suffixSession: ort.InferenceSession;
  /** The whole unedited model: the unedited generation, and decoding steps where GRACE replaces nothing. */
  readonly fullSession: ort.InferenceSession;
  /**
   * The whole model with the layer output replaceable by two extra feeds (see `replaceableLayerModel`): a cached
   * step that replaces the new tokens' output (`all` mode) in one run. Absent for a decoder without a cache.
   */
  readonly replaceableSession: ort.InferenceSession | undefined;
  /** Frees the sessions. */
  release(): Promise<void>;
}

/**
 * Loads a causal LM (a path, its bytes or a read model) for generation, cut at `editAt`. With a key/value cache
 * (past inputs and present outputs, as exported with `past_key_values`), the prefix and the suffix each take
 * the past of the attention layers on their side of the cut and return the present, so a cached decode step
 * runs the whole model once; without one, every step recomputes the whole sequence.
 */
export async function loadOnnxDecoder(
  pathOrBytes: string | Uint8Array | OnnxModel,
  options: LoadOnnxDecoderOptions,
): Promise<OnnxDecoder> {
  const model =
    typeof pathOrBytes === 'object' && 'proto' in pathOrBytes
      ? pathOrBytes
      : await readOnnxModel(pathOrBytes);
  const graph = model.proto.graph ?? {};
  const initializers = new Set((graph.initializer ?? []).map((initializer) => initializer.name ?? ''));
  const graphInputs = (graph.input ?? []).filter((input) => !initializers.has(input.name ?? ''));
  const outputNames = (graph.output ?? []).map((output) => output.name ?? '');
  const inputNames = graphInputs.map((input) => input.name ?? '');
  const inputIds = options.inputIds ?? 'input_ids';
  const attentionMask = options.attentionMask ?? 'attention_mask';
  const positionIds =
    options.positionIds ?? (inputNames.includes('position_ids') ? 'position_ids' : undefined);
  const logits = options.logits ?? 'logits';
  for (const [role, name] of [
    ['inputIds', inputIds],
    ['attentionMask', attentionMask],
    ['positionIds', positionIds],
  ] as const) {
    if (name !== undefined && !inputNames.includes(name)) {
      throw new GraceError('INVALID_ARGUMENT', `${role} '${name}' is not an input of the decoder`, {
        [role]: name,
        inputs: inputNames,
      });
    }
  }
  if (!outputNames.includes(logits)) {
    throw new GraceError('INVALID_ARGUMENT', `logits '${logits}' is not an output of the decoder`, {
      logits,
      outputs: outputNames,
    });
  }
  const pasts = graphInputs.filter(
    (input) => ![inputIds, attentionMask, positionIds].includes(input.name ?? ''),
  );
  const presents = outputNames.filter((name) => name !== logits);
  if (pasts.length !== presents.length) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `the decoder has ${pasts.length} past inputs (${pasts.map((input) => input.name).join(', ')}) but ${presents.length} present outputs (${presents.join(', ')})`,
      { pasts: pasts.map((input) => input.name), presents },
    );
  }
  const cache = pasts.map((input, index): DecoderCacheEntry => {
    const dims = input.type?.tensorType?.shape?.dim ?? [];
    const heads = longToNumber(dims[1]?.dimValue);
    const headSize = longToNumber(dims[3]?.dimValue);
    if (dims.length !== 4 || heads <= 0 || headSize <= 0) {
      throw new GraceError(
        'UNSUPPORTED_OP',
        `past input '${input.name}' is not [batch, heads, past, headSize] with fixed heads and head size`,
        { past: input.name },
      );
    }
    return { past: input.name ?? '', present: presents[index] as string, heads, headSize };
  });
  const elementType = (name: string): DecoderInputs['inputIds']['type'] => {
    const code = graphInputs.find((input) => input.name === name)?.type?.tensorType?.elemType;
    if (code === 7) return 'int64';
    if (code === 6) return 'int32';
    throw new GraceError('UNSUPPORTED_OP', `decoder input '${name}' is not int64 or int32 (type ${code})`, {
      input: name,
    });
  };
  const inputs: DecoderInputs = {
    inputIds: { name: inputIds, type: elementType(inputIds) },
    attentionMask: { name: attentionMask, type: elementType(attentionMask) },
    ...(positionIds === undefined
      ? {}
      : { positionIds: { name: positionIds, type: elementType(positionIds) } }),
  };
  const probe = await probeDecoder(model, options, inputs, cache, logits);
  const cut = cutDecoderModel(model, options.editAt, logits, probe.elementTypes);
  const sessionOptions = options.sessionOptions ?? {};
  const [prefixSession, suffixSession, fullSession, replaceableSession] = await Promise.all([
    ort.InferenceSession.create(encodeOnnxModel(cut.prefixModel), sessionOptions),
    ort.InferenceSession.create(encodeOnnxModel(cut.suffixModel), sessionOptions),
    ort.InferenceSession.create(encodeOnnxModel(model.proto), sessionOptions),
    cache.length === 0
      ? undefined
      : ort.InferenceSession.create(
          encodeOnnxModel(replaceableLayerModel(model, options.editAt)),
          sessionOptions,
        ),
  ]);
  const sessions = [prefixSession, suffixSession, fullSession, replaceableSession];
  return {
    cut,
    keyDimension: probe.keyDimension,
    valueDimension: probe.valueDimension,
    layerOutputRank: probe.layerOutputRank,
    vocabularySize: probe.vocabularySize,
    inputs,
    logits,
    cache,
    prefixSession,
    suffixSession,
    fullSession,
    replaceableSession,
    async release() {
      await Promise.all(sessions.map((session) => session?.release()));
    },
  };
}

const elementTypeCodes: Readonly<Record<string, number>> = { float32: 1, int32: 6, int64: 7, bool: 9 };

/**
 * One run of the whole model on a two-token prompt, with the edited layer's input and output and the tensors
 * crossing the cut added as outputs: their element types (to declare them as suffix inputs) and the widths.
 */
async function probeDecoder(
  model: OnnxModel,
  options: LoadOnnxDecoderOptions,
  inputs: DecoderInputs,
  cache: readonly DecoderCacheEntry[],
  logits: string,
): Promise<{
  elementTypes: Map<string, number>;
  keyDimension: number;
  valueDimension: number;
  layerOutputRank: number;
  vocabularySize: number;
}> {
  const crossing = crossingTensorsOf(model, options.editAt, logits);
  const node = (model.proto.graph?.node ?? []).find(
    (entry) => entry.name === options.editAt || entry.output?.[0] === options.editAt,
  );
  const layerInput = node?.input?.[0] ?? '';
  const layerOutput = node?.output?.[0] ?? '';
  const extra = [layerInput, layerOutput, ...crossing];
  const proto = onnx.ModelProto.create({
    ...model.proto,
    graph: onnx.GraphProto.create({
      ...model.proto.graph,
      output: [
        ...(model.proto.graph?.output ?? []),
        ...extra.map((name) => onnx.ValueInfoProto.create({ name })),
      ],
    }),
  });
  const session = await ort.InferenceSession.create(encodeOnnxModel(proto), options.sessionOptions ?? {});
  try {
    const feeds = decoderFeeds(inputs, cache, {
      tokens: [[1, 2]],
      attentionMask: [[1, 1]],
      positions: [[0, 1]],
      pastLength: 0,
    });
    const outputs = await session.run(feeds);
    const elementTypes = new Map(
      crossing.map((name) => [name, elementTypeCodes[(outputs[name] as ort.Tensor).type] ?? 1]),
    );
    const width = (name: string): number => (outputs[name] as ort.Tensor).dims.at(-1) ?? 0;
    return {
      elementTypes,
      keyDimension: width(layerInput),
      valueDimension: width(layerOutput),
      layerOutputRank: (outputs[layerOutput] as ort.Tensor).dims.length,
      vocabularySize: width(logits),
    };
  } finally {
    await session.release();
  }
}
