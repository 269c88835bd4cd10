import {
  decodeArgMax,
  type EditableModel,
  type EditLabel,
  type GraceBackend,
  GraceError,
  type PredictionDecoder,
  type PrefixOutput,
  predictionDecoderFor,
  type Tensor,
} from '@grace/core';
import * as ort from 'onnxruntime-node';
import { attentionMaskLengths, resolveAttentionMaskInput } from './attention-mask-lengths.js';
import { cutOnnxModel, type OnnxCut } from './cut-onnx-model.js';
import { rewriteFixedBatch } from './fixed-batch.js';
import {
  type ImportedSuffix,
  importSuffixGraph,
  lossOutputName,
  type SuffixLossOptions,
} from './import-suffix-graph.js';
import {
  batchDimension,
  batchFeeds,
  type OnnxInput,
  type OnnxInputSpec,
  resolveInputSpecs,
  syntheticExamples,
} from './onnx-inputs.js';
import { encodeOnnxModel, type OnnxModel, readOnnxModel } from './read-onnx-model.js';
import { verifySuffixGraph } from './verify-suffix-graph.js';

/** How to load a model for editing. */
export interface LoadOnnxModelOptions extends SuffixLossOptions {
  /** The MatMul or Gemm to wrap: a node name or its output tensor's name (see `listEditPoints`). */
  readonly editAt: string;
  /** Sizes of named dimensions other than the batch (an image's height and width, a sequence length). */
  readonly dimensions?: Readonly<Record<string, number>>;
  /**
   * Labels from predictions. The default matches the loss: arg-max over the last axis (class ids), and for a
   * `sigmoid-cross-entropy` head with one output, class 1 above logit 0 (probability 0.5). A sigmoid head
   * whose prediction is neither the loss's input nor the Sigmoid of it is refused at load (`INVALID_ARGUMENT`)
   * unless this is given.
   */
  readonly decodePredictions?: PredictionDecoder;
  /** onnxruntime options for the prefix, suffix and full sessions (threads, graph optimisation). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
  /**
   * The editor's backend: when given, the imported suffix IR is run on it against onnxruntime's suffix on a
   * few synthetic examples at load time, and a difference over 1e-4 fails the load (`GRAPH_INVALID`), so an
   * import that computes something else is caught before any edit is trained through it.
   */
  readonly backend?: GraceBackend;
  /**
   * The `[batch, sequence]` input whose non-zero entries mark real tokens in a right-padded batch: each row's
   * length (and so its key token) is read from it. Default: the input named `attention_mask`, when there is one;
   * `null`: none (every row counts all its tokens).
   */
  readonly attentionMask?: string | null;
}

/** An ONNX model cut for GRACE: an {@link EditableModel} plus the onnxruntime sessions behind it. */
export interface OnnxEditableModel extends EditableModel<OnnxInput> {
  readonly cut: OnnxCut;
  readonly imported: ImportedSuffix;
  readonly inputSpecs: readonly OnnxInputSpec[];
  /** The prediction's name in the original model (and the single-graph export): `predictionOutput` is the suffix's. */
  readonly modelPredictionOutput: string;
  /** What the load changed to make the model editable (a batch fixed at 1 made dynamic); empty when nothing. */
  readonly notices: readonly string[];
  /** The attention-mask input that gives each row's length (see `attentionMask`), if the model has one. */
  readonly attentionMask: string | undefined;
  /** The frozen model up to the edited layer; outputs the layer input, the layer output and the crossing tensors. */
  readonly prefixSession: ort.InferenceSession;
  /** The original model after the cut, for serving and for checking the imported IR against. */
  readonly suffixSession: ort.InferenceSession;
  /** The whole unedited model, for comparisons. */
  readonly fullSession: ort.InferenceSession;
  /** Runs the prefix session and returns its outputs by name (host memory, onnxruntime tensors). */
  runPrefixSession(inputs: readonly OnnxInput[]): Promise<Record<string, ort.Tensor>>;
  /** Frees the three sessions. */
  release(): Promise<void>;
}

/**
 * Loads an ONNX model (a path or its bytes) cut at `editAt`, for `GraceEditor`. The prefix runs on
 * onnxruntime-node (CPU) and its outputs are uploaded to the editor's backend; the suffix is imported into core's
 * IR, so value training and `GraceEditor.predict` run the suffix on the backend through the editor's executor.
 * The suffix session runs the original ONNX suffix instead; `predictWithSuffixSession` serves with it.
 */
export async function loadOnnxModel(
  pathOrBytes: string | Uint8Array | OnnxModel,
  options: LoadOnnxModelOptions,
): Promise<OnnxEditableModel> {
  const { model, notice } = rewriteFixedBatch(
    typeof pathOrBytes === 'object' && 'proto' in pathOrBytes
      ? pathOrBytes
      : await readOnnxModel(pathOrBytes),
  );
  const inputSpecs = resolveInputSpecs(model, options.dimensions);
  const attentionMask = resolveAttentionMaskInput(inputSpecs, options.attentionMask);
  const cut = await cutOnnxModel(model, options.editAt, options.dimensions);
  const foldsBatch = (dimension: number | string | undefined): boolean =>
    typeof dimension === 'string' && dimension !== batchDimension;
  if (foldsBatch(cut.editPoint.inputShape[0]) || foldsBatch(cut.editPoint.outputShape[0])) {
    // The dynamo exporter writes a transformer's Linear as a Gemm on `[B*T, D]`: a row is then a token, not an
    // example, and keys, lengths and replacement modes would silently apply to the wrong rows.
    throw new GraceError(
      'UNSUPPORTED_OP',
      `edit point '${cut.editPoint.name}': layer input [${cut.editPoint.inputShape.join(', ')}] folds other dimensions into the batch (tokens flattened for a Gemm); GRACE needs one row per example, [B, D] or [B, T, D]`,
      { editAt: options.editAt, inputShape: cut.editPoint.inputShape },
    );
  }
  const imported = importSuffixGraph(cut, options);
  const decodePredictions = options.decodePredictions ?? defaultDecoder(imported);
  const keyShape = cut.editPoint.inputShape;
  const valueShape = cut.editPoint.outputShape;
  const keyDimension = keyShape.at(-1);
  const valueDimension = valueShape.at(-1);
  if (
    typeof keyDimension !== 'number' ||
    typeof valueDimension !== 'number' ||
    keyShape.length < 2 ||
    keyShape.length > 3
  ) {
    throw new GraceError(
      'UNSUPPORTED_OP',
      `edit point '${cut.editPoint.name}': layer input [${keyShape.join(', ')}] → output [${valueShape.join(', ')}] is not [B, D] or [B, T, D] with fixed D`,
      { editAt: options.editAt },
    );
  }
  const [prefixSession, suffixSession, fullSession] = await Promise.all([
    ort.InferenceSession.create(encodeOnnxModel(cut.prefixModel), options.sessionOptions ?? {}),
    ort.InferenceSession.create(encodeOnnxModel(cut.suffixModel), options.sessionOptions ?? {}),
    ort.InferenceSession.create(encodeOnnxModel(model.proto), options.sessionOptions ?? {}),
  ]);
  const extras = cut.crossingTensors.filter((name) =>
    imported.graph.inputs.some((input) => input.name === name),
  );
  const runPrefixSession = async (inputs: readonly OnnxInput[]): Promise<Record<string, ort.Tensor>> => {
    if (inputs.length === 0) throw new GraceError('EMPTY_BATCH', 'no inputs to run', {});
    return (await prefixSession.run(batchFeeds(inputSpecs, inputs))) as Record<string, ort.Tensor>;
  };
  const upload = (backend: GraceBackend, tensor: ort.Tensor): Tensor<'float32'> =>
    backend.upload(tensor.data as Float32Array, [...tensor.dims]) as Tensor<'float32'>;
  const uploadCrossing = (backend: GraceBackend, name: string, tensor: ort.Tensor): Tensor =>
    tensor.type === 'float32'
      ? upload(backend, tensor)
      : backend.upload(crossingData(name, tensor), [...tensor.dims]);
  const loaded: OnnxEditableModel = {
    layerId: `onnx:${cut.editPoint.name}`,
    keyDimension,
    valueDimension,
    suffix: imported.graph,
    activationInput: imported.activationInput,
    targetInput: imported.targetInput,
    predictionOutput: imported.predictionOutput,
    lossOutput: imported.lossOutput,
    cut,
    imported,
    inputSpecs,
    notices: notice === undefined ? [] : [notice],
    attentionMask: keyShape.length === 3 ? attentionMask?.name : undefined,
    modelPredictionOutput:
      cut.modelOutputs[cut.outputs.indexOf(imported.predictionOutput)] ?? imported.predictionOutput,
    prefixSession,
    suffixSession,
    fullSession,
    runPrefixSession,
    async runPrefix(backend, inputs): Promise<PrefixOutput> {
      const outputs = await runPrefixSession(inputs);
      const uploaded: Record<string, Tensor> = {};
      for (const name of extras) uploaded[name] = uploadCrossing(backend, name, outputs[name] as ort.Tensor);
      const lengths =
        attentionMask !== undefined && keyShape.length === 3
          ? { lengths: attentionMaskLengths(attentionMask.name, inputs) }
          : {};
      return {
        layerInput: upload(backend, outputs[cut.editPoint.input] as ort.Tensor),
        layerOutput: upload(backend, outputs[cut.editPoint.output] as ort.Tensor),
        extras: uploaded,
        ...lengths,
      };
    },
    encodeTargets(backend, labels) {
      if (imported.loss === 'token-softmax-cross-entropy') return encodeTokenTargets(backend, labels);
      if (imported.loss === 'softmax-cross-entropy') {
        return backend.upload(
          Int32Array.from(labels, (label) => {
            if (typeof label !== 'number' || !Number.isInteger(label))
              throw new GraceError('INVALID_ARGUMENT', `a class label is an integer, got ${String(label)}`, {
                label,
              });
            return label;
          }),
          [labels.length],
        );
      }
      const rows = labels.map((label) =>
        typeof label === 'number' ? [label] : [...(label as readonly number[])],
      );
      // A target of a `[B, T, D]` output (a token-level regression) is given flat per example and shaped here.
      const exampleShape = targetExampleShape(imported, rows[0]?.length ?? 1);
      return backend.upload(Float32Array.from(rows.flat()), [labels.length, ...exampleShape]);
    },
    decodePredictions,
    async release() {
      await Promise.all([prefixSession.release(), suffixSession.release(), fullSession.release()]);
    },
  };
  if (options.backend !== undefined) {
    const verification = await verifySuffixGraph(loaded, options.backend, syntheticExamples(inputSpecs, 3));
    if (!verification.passed) {
      await loaded.release();
      throw new GraceError(
        'GRAPH_INVALID',
        `the imported suffix differs from onnxruntime's by ${verification.maximumAbsoluteDifference} (tolerance ${verification.tolerance})`,
        { editAt: options.editAt, ...verification },
      );
    }
  }
  return loaded;
}

/**
 * A non-float tensor crossing the cut in its IR type (see `crossingDtypes`): a boolean mask as float 0/1,
 * integers as int32; an int64 entry outside int32 is `UNSUPPORTED_OP` naming the tensor.
 */
function crossingData(name: string, tensor: ort.Tensor): Float32Array | Int32Array {
  if (tensor.type === 'bool') return Float32Array.from(tensor.data as Uint8Array);
  if (tensor.type === 'int32') return tensor.data as Int32Array;
  const values = tensor.data as BigInt64Array;
  const result = new Int32Array(values.length);
  for (let index = 0; index < values.length; index++) {
    const value = Number(values[index]);
    if (value !== (value | 0))
      throw new GraceError(
        'UNSUPPORTED_OP',
        `tensor '${name}' crossing the cut holds ${value}, outside int32`,
        {
          tensor: name,
        },
      );
    result[index] = value;
  }
  return result;
}

/**
 * Targets of the token loss: each label is one example's target per token (`T` ids, {@link ignoredTokenTarget}
 * where a token counts for nothing), all of one length; uploaded as int32 `[B·T]`, the loss's flattened rows.
 */
function encodeTokenTargets(backend: GraceBackend, labels: readonly EditLabel[]): Tensor {
  const rows = labels.map((label) => {
    if (typeof label !== 'object' || !label.every((id) => Number.isInteger(id)))
      throw new GraceError(
        'INVALID_ARGUMENT',
        'a token-loss label is a sequence of integer ids, one per token',
        {
          label,
        },
      );
    return label;
  });
  const tokens = rows[0]?.length ?? 0;
  if (rows.some((row) => row.length !== tokens))
    throw new GraceError('SHAPE_MISMATCH', 'token-loss labels of one batch have one length (the padded T)', {
      lengths: rows.map((row) => row.length),
    });
  return backend.upload(Int32Array.from(rows.flat()), [rows.length * tokens]);
}

/** Labels of a `[B, T, C]` prediction: the arg-max class at every token, one sequence of `T` ids per row. */
export function decodeTokenArgMax(prediction: Float32Array, shape: readonly number[]): number[][] {
  const [batch = 0, tokens = 0] = shape;
  const ids = decodeArgMax(prediction, [batch * tokens, shape.at(-1) as number]);
  return Array.from({ length: batch }, (_, row) => ids.slice(row * tokens, (row + 1) * tokens));
}

/**
 * The per-example shape of a float target of `width` values: the loss input's shape without the batch when its
 * dimensions are fixed and hold `width` values, else `[width]`.
 */
function targetExampleShape(imported: ImportedSuffix, width: number): number[] {
  const declared = imported.graph.inputs.find((input) => input.name === imported.targetInput)?.shape ?? [];
  const rest = declared.slice(1);
  const fixed = rest.every((dimension): dimension is number => typeof dimension === 'number');
  if (fixed && rest.length > 1 && rest.reduce((product, size) => product * size, 1) === width) return rest;
  return [width];
}

/**
 * The decoding that matches the imported loss. For a sigmoid head the prediction is read as logits when the
 * loss is computed on it, as probabilities when it is the Sigmoid of the loss's input; anything else could
 * be either, so the load is refused rather than guessed.
 */
function defaultDecoder(imported: ImportedSuffix): PredictionDecoder {
  if (imported.loss === 'token-softmax-cross-entropy') return decodeTokenArgMax;
  if (imported.loss !== 'sigmoid-cross-entropy') return predictionDecoderFor(imported.loss, 'logits');
  const lossOn = imported.graph.nodes.find((node) => node.name === lossOutputName)?.inputs[0];
  if (lossOn === imported.predictionOutput) return predictionDecoderFor(imported.loss, 'logits');
  const producer = imported.graph.nodes.find((node) => node.outputs[0] === imported.predictionOutput);
  if (producer?.opType === 'Sigmoid' && producer.inputs[0] === lossOn)
    return predictionDecoderFor(imported.loss, 'probabilities');
  throw new GraceError(
    'INVALID_ARGUMENT',
    `the prediction '${imported.predictionOutput}' is neither the sigmoid loss's input '${String(lossOn)}' nor its Sigmoid: pass decodePredictions`,
    { predictionOutput: imported.predictionOutput, lossOn },
  );
}
