import type { GraceBackend } from '../backend.js';
import type { EditLabel } from '../labels.js';
import type { SuffixGraph } from '../suffix/suffix-graph.js';
import type { Shape, Tensor } from '../tensor.js';

/** What the frozen part of a model up to and including the edited layer produced for a batch. */
export interface PrefixOutput {
  /** `[B, Dk]` or `[B, T, Dk]`: the edited layer's input, where queries come from. */
  readonly layerInput: Tensor<'float32'>;
  /** `[B, Dv]` or `[B, T, Dv]`: the edited layer's own output, which GRACE may replace. */
  readonly layerOutput: Tensor<'float32'>;
  /** Real tokens per row of a padded batch. */
  readonly lengths?: readonly number[];
  /** Every other suffix input crossing the cut (a residual stream, an attention mask), by name. */
  readonly extras: Readonly<Record<string, Tensor>>;
}

/**
 * A model the editor can edit, whatever runs it: it tells how to run the frozen part up to the edited layer,
 * gives the part after it as a suffix graph (so values can be trained through it on any backend), and says
 * how labels become loss targets and predictions become labels.
 *
 * The frozen prefix may run anywhere (onnxruntime, tfjs, the backend itself) as long as it hands back tensors
 * of the editor's backend.
 */
export interface EditableModel<Input> {
  /** Names the edited layer; stored in codebook files so a codebook is not loaded onto another layer. */
  readonly layerId: string;
  /** Dk: width of the edited layer's input. */
  readonly keyDimension: number;
  /**
   * Dv: width of the edited layer's output. A codebook's values are this wide, or `spanLength ×` this for
   * replacement `span` (see `layerValueDimension`).
   */
  readonly valueDimension: number;
  /** The model after the edited layer, with a prediction output and a scalar loss output. */
  readonly suffix: SuffixGraph;
  /** The suffix input fed with the (replaced) layer output. */
  readonly activationInput: string;
  /** The suffix input fed with the targets of the loss. */
  readonly targetInput: string;
  /** The suffix output read as the prediction (e.g. logits). */
  readonly predictionOutput: string;
  /** The suffix's scalar loss output. */
  readonly lossOutput: string;
  /** Runs the frozen prefix and the edited layer on a batch. Returned tensors belong to the caller. */
  runPrefix(backend: GraceBackend, inputs: readonly Input[]): Promise<PrefixOutput>;
  /**
   * The loss targets of a batch of labels, as a tensor of the backend (owned by the caller). `inputs` are the
   * batch's inputs, row for row, for targets placed per token (a causal language model's continuation sits after
   * its prompt, in a batch padded to its longest row); a classifier ignores them.
   */
  encodeTargets(backend: GraceBackend, labels: readonly EditLabel[], inputs?: readonly Input[]): Tensor;
  /**
   * Labels from the prediction output `[B, ...]` read back to the host. `inputs` are the batch's inputs, row for
   * row, for decodings that depend on them (a causal language model reads its continuation's positions).
   */
  decodePredictions(prediction: Float32Array, shape: Shape, inputs?: readonly Input[]): EditLabel[];
  /** A short digest of an input for edit records (e.g. a hash of the text); optional. */
  digestInput?(input: Input): string;
  /**
   * Frees what the model keeps on a backend between calls (e.g. its uploaded prefix weights). Optional, and not
   * called by the editor: one model may serve several editors on the same backend.
   */
  release?(backend: GraceBackend): void;
}

/** Disposes every tensor of a prefix output. */
export function disposePrefixOutput(backend: GraceBackend, prefix: PrefixOutput): void {
  backend.dispose(prefix.layerInput);
  backend.dispose(prefix.layerOutput);
  for (const tensor of Object.values(prefix.extras)) backend.dispose(tensor);
}
