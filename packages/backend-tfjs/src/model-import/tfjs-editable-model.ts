import {
  type EditableModel,
  type EditLabel,
  type GraceBackend,
  GraceError,
  type PrefixOutput,
  predictionDecoderFor,
  type Shape,
  SuffixExecutor,
  type SuffixGraph,
  type Tensor,
} from '@grace/core';
import type * as tfjs from '@tensorflow/tfjs-core';
import { adoptTfjsTensor, isTfjsBackend } from '../adopt-tfjs-tensor.js';
import { type HostTensor, maximumAbsoluteDifference } from './host-tensor.js';
import { encodeLossTargets, type TfjsModelLoss } from './suffix-loss.js';

/** The layer GRACE wraps: its input (where keys come from) and output (what a firing key replaces). */
export interface TfjsEditPoint {
  /** The layer or node name given as `editAt`. */
  readonly name: string;
  /** Tensor names: the suffix graph's activation input is `output`. */
  readonly input: string;
  readonly output: string;
  /** `[B, Dk]` or `[B, T, Dk]`, as seen on the examples (the batch and sequence sizes are theirs). */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
}

/** What the tfjs prefix hands over for a batch: every suffix input by name, plus row lengths for sequences. */
export interface TfjsPrefixValues {
  readonly values: ReadonlyMap<string, HostTensor>;
  readonly lengths?: readonly number[];
}

/** The prefix values of a batch left on tfjs, by tensor name (the caller owns them), plus row lengths. */
export interface TfjsPrefixTensors {
  readonly tensors: ReadonlyMap<string, tfjs.Tensor>;
  readonly lengths?: readonly number[];
}

/** The parts a cut tfjs model is assembled from (see {@link assembleTfjsEditableModel}). */
export interface TfjsModelParts<Input> {
  readonly layerId: string;
  readonly editPoint: TfjsEditPoint;
  /** The suffix with its loss; inputs: the layer output, the crossing tensors and the target. */
  readonly suffix: SuffixGraph;
  readonly crossingTensors: readonly string[];
  readonly predictionOutput: string;
  readonly lossOutput: string;
  readonly targetInput: string;
  readonly loss: TfjsModelLoss;
  /** Runs the model on tfjs up to the cut: the layer input, the layer output and the crossing tensors. */
  runPrefix(inputs: readonly Input[]): Promise<TfjsPrefixValues>;
  /**
   * Runs the prefix like `runPrefix` but leaves the values on tfjs (optional): an editor on a tfjs backend then
   * takes them over without reading them back and uploading them again.
   */
  runPrefixTensors?(inputs: readonly Input[]): Promise<TfjsPrefixTensors>;
  /** Runs the whole unedited model on tfjs: its prediction `[B, ...]`. */
  runModel(inputs: readonly Input[]): Promise<HostTensor>;
  /** Frees what the parts hold on tfjs (a prefix model). */
  dispose(): void;
}

/** A tfjs model cut for GRACE: an {@link EditableModel} plus the tfjs side, to compare with and serve. */
export interface TfjsEditableModel<Input> extends EditableModel<Input> {
  readonly editPoint: TfjsEditPoint;
  /** Suffix inputs other than the layer output: residual streams and masks read before the cut. */
  readonly crossingTensors: readonly string[];
  readonly loss: TfjsModelLoss;
  /** Runs the prefix on tfjs; values on the host, by tensor name. */
  runPrefixOnTfjs(inputs: readonly Input[]): Promise<TfjsPrefixValues>;
  /** The whole unedited model's prediction on tfjs. */
  runModel(inputs: readonly Input[]): Promise<HostTensor>;
  /** Frees the tfjs prefix (the tfjs model itself stays the caller's). */
  dispose(): void;
}

/** How closely the imported suffix follows the tfjs model on a batch. */
export interface TfjsModelVerification {
  /** Largest |tfjs prefix → IR suffix on the backend − the whole tfjs model| over the prediction. */
  readonly maximumAbsoluteDifference: number;
  readonly tolerance: number;
  readonly passed: boolean;
}

/** Options shared by the LayersModel and GraphModel loaders. */
export interface TfjsLoadCommonOptions<Input> {
  /** Labels from predictions; default arg-max over the last axis (class ids). */
  readonly decodePredictions?: (prediction: Float32Array, shape: Shape) => EditLabel[];
  /** A short digest of an input for edit records. */
  readonly digestInput?: (input: Input) => string;
  /**
   * The editor's backend: the imported suffix is run on it against the tfjs model on `examples` at load, and a
   * difference over `tolerance` fails the load (`GRAPH_INVALID`).
   */
  readonly backend?: GraceBackend;
  /** Largest accepted difference at load; default 1e-4. */
  readonly tolerance?: number;
}

/** Builds the {@link TfjsEditableModel} from its parts: prefix values are uploaded to the editor's backend. */
export function assembleTfjsEditableModel<Input>(
  parts: TfjsModelParts<Input>,
  options: TfjsLoadCommonOptions<Input>,
): TfjsEditableModel<Input> {
  const keyDimension = parts.editPoint.inputShape.at(-1);
  const valueDimension = parts.editPoint.outputShape.at(-1);
  const rank = parts.editPoint.inputShape.length;
  if (
    keyDimension === undefined ||
    valueDimension === undefined ||
    rank < 2 ||
    rank > 3 ||
    parts.editPoint.outputShape.length !== rank
  ) {
    throw new GraceError(
      'UNSUPPORTED_OP',
      `edit point '${parts.editPoint.name}': layer input [${parts.editPoint.inputShape.join(', ')}] → output [${parts.editPoint.outputShape.join(', ')}] is not [B, D] → [B, D'] or [B, T, D] → [B, T, D']`,
      { editAt: parts.editPoint.name },
    );
  }
  // Decoding follows the loss (a one-output sigmoid head thresholds), on logits when the loss reads the
  // prediction output itself, on probabilities when the prediction is the head's final activation.
  const lossNode = parts.suffix.nodes.find((node) => node.outputs[0] === parts.lossOutput);
  const scale = lossNode?.inputs[0] === parts.predictionOutput ? 'logits' : 'probabilities';
  const upload = (backend: GraceBackend, host: HostTensor): Tensor<'float32'> =>
    backend.upload(host.data, [...host.shape]) as Tensor<'float32'>;
  return {
    layerId: parts.layerId,
    keyDimension,
    valueDimension,
    suffix: parts.suffix,
    activationInput: parts.editPoint.output,
    targetInput: parts.targetInput,
    predictionOutput: parts.predictionOutput,
    lossOutput: parts.lossOutput,
    editPoint: parts.editPoint,
    crossingTensors: parts.crossingTensors,
    loss: parts.loss,
    runPrefixOnTfjs: (inputs) => parts.runPrefix(inputs),
    runModel: (inputs) => parts.runModel(inputs),
    dispose: () => parts.dispose(),
    async runPrefix(backend, inputs): Promise<PrefixOutput> {
      if (inputs.length === 0) throw new GraceError('EMPTY_BATCH', 'no inputs to run', {});
      if (parts.runPrefixTensors !== undefined && isTfjsBackend(backend)) {
        return adoptPrefix(backend, parts, await parts.runPrefixTensors(inputs));
      }
      const { values, lengths } = await parts.runPrefix(inputs);
      const read = (name: string): HostTensor => values.get(name) as HostTensor;
      const extras: Record<string, Tensor> = {};
      for (const name of parts.crossingTensors) extras[name] = upload(backend, read(name));
      return {
        layerInput: upload(backend, read(parts.editPoint.input)),
        layerOutput: upload(backend, read(parts.editPoint.output)),
        ...(lengths === undefined ? {} : { lengths }),
        extras,
      };
    },
    encodeTargets: (backend, labels) => encodeLossTargets(backend, parts.loss, labels),
    decodePredictions: options.decodePredictions ?? predictionDecoderFor(parts.loss, scale),
    ...(options.digestInput === undefined ? {} : { digestInput: options.digestInput }),
  };
}

/**
 * The prefix output on a tfjs backend from values that stayed on tfjs: each tensor is handed over, none is read
 * back (the `[B, T, D]` activations of a transformer cut would otherwise cross to the host and back). Every
 * tensor is disposed if any hand-over fails.
 */
function adoptPrefix<Input>(
  backend: GraceBackend,
  parts: TfjsModelParts<Input>,
  prefix: TfjsPrefixTensors,
): PrefixOutput {
  const adopted = new Map<string, Tensor<'float32'>>();
  try {
    for (const [name, tensor] of prefix.tensors) {
      const handle = adoptTfjsTensor(backend, tensor);
      if (handle === undefined)
        throw new GraceError('FOREIGN_TENSOR', `tensor '${name}' cannot be handed to ${backend.name}`, {
          name,
        });
      adopted.set(name, handle);
    }
  } catch (error) {
    for (const [name, tensor] of prefix.tensors) if (!adopted.has(name)) tensor.dispose();
    for (const handle of adopted.values()) backend.dispose(handle);
    throw error;
  }
  const take = (name: string): Tensor<'float32'> => adopted.get(name) as Tensor<'float32'>;
  return {
    layerInput: take(parts.editPoint.input),
    layerOutput: take(parts.editPoint.output),
    ...(prefix.lengths === undefined ? {} : { lengths: prefix.lengths }),
    extras: Object.fromEntries(parts.crossingTensors.map((name) => [name, take(name)])),
  };
}

/**
 * Runs the tfjs prefix once and the imported suffix IR on `backend`, and compares the prediction with the whole
 * tfjs model's: an import that translated an op wrongly shows up here rather than as edits that do not take.
 */
export async function verifyTfjsEditableModel<Input>(
  model: TfjsEditableModel<Input>,
  backend: GraceBackend,
  inputs: readonly Input[],
  tolerance = 1e-4,
): Promise<TfjsModelVerification> {
  const [prefix, reference] = await Promise.all([model.runPrefixOnTfjs(inputs), model.runModel(inputs)]);
  const executor = new SuffixExecutor(backend, model.suffix);
  const feeds: Record<string, Tensor> = {};
  try {
    for (const name of [model.editPoint.output, ...model.crossingTensors]) {
      const host = prefix.values.get(name) as HostTensor;
      feeds[name] = backend.upload(host.data, [...host.shape]);
    }
    const { outputs } = executor.run({ feeds, outputs: [model.predictionOutput] });
    const prediction = outputs.get(model.predictionOutput) as Tensor<'float32'>;
    const data = await backend.download(prediction);
    backend.dispose(prediction);
    const difference = maximumAbsoluteDifference(data, reference.data);
    return { maximumAbsoluteDifference: difference, tolerance, passed: difference <= tolerance };
  } finally {
    for (const tensor of Object.values(feeds)) backend.dispose(tensor);
    executor.dispose();
  }
}

/** Verifies at load and throws `GRAPH_INVALID` (after freeing the prefix) when the import is not faithful. */
export async function verifyAtLoad<Input>(
  model: TfjsEditableModel<Input>,
  backend: GraceBackend,
  examples: readonly Input[],
  tolerance: number,
): Promise<void> {
  const verification = await verifyTfjsEditableModel(model, backend, examples, tolerance);
  if (!verification.passed) {
    model.dispose();
    throw new GraceError(
      'GRAPH_INVALID',
      `the imported suffix after '${model.editPoint.name}' differs from the tfjs model by ${verification.maximumAbsoluteDifference} (tolerance ${tolerance})`,
      { editAt: model.editPoint.name, ...verification },
    );
  }
}
