import type { GraceEditor } from '../editing/grace-editor.js';
import type { EditLabel } from '../labels.js';
import type { Shape } from '../tensor.js';

/** An input with the label the model should give it. */
export interface LabelledExample<Input> {
  readonly input: Input;
  readonly label: EditLabel;
}

/** A batch's raw prediction output (e.g. logits `[B, T, V]`), read back to the host. */
export interface PredictionOutput {
  readonly data: Float32Array;
  readonly shape: Shape;
}

/**
 * One way of correcting a deployed model, as the lifelong protocol sees it: predict a batch, and fix one
 * error. GRACE, continual fine-tuning, a soft memory and the unedited model all fit, so they run on the same
 * stream side by side. The protocol judges every edit through `predict` itself, so `edit` need not say
 * whether it worked; what it returns is ignored.
 */
export interface EditingMethod<Input> {
  /** Names the method in reports, e.g. `GRACE dense1 ε 0.5`. */
  readonly name: string;
  /** Labels of a batch, in order. */
  predict(inputs: readonly Input[]): Promise<readonly EditLabel[]>;
  /** Fixes one error (the protocol times this call). */
  edit(example: LabelledExample<Input>): Promise<unknown>;
  /**
   * The raw prediction output of a batch whose labels `predict` would give (same path, before decoding), for
   * figures read from scores rather than labels (a decoder's perplexity). Optional: not every method has one.
   */
  predictionOutput?(inputs: readonly Input[]): Promise<PredictionOutput>;
  /** Entries held by the method's memory (GRACE keys), or null for methods without one. */
  keys?(): number | null;
  /** Frees what the method holds on its backend; called by whoever made the method. */
  dispose?(): void;
}

/**
 * A {@link GraceEditor} as an {@link EditingMethod}: predictions run the edited model (lookup included) and
 * keys are the codebook's size. The editor stays the caller's: `dispose` frees it.
 */
export function graceEditingMethod<Input>(editor: GraceEditor<Input>, name = 'GRACE'): EditingMethod<Input> {
  return {
    name,
    predict: (inputs) => editor.predict(inputs),
    edit: (example) => editor.edit(example),
    keys: () => editor.codebook.size,
    dispose: () => editor.dispose(),
  };
}

/**
 * The model as deployed, never edited (its `edit` does nothing): the reference every method is compared with.
 * Its ERR is 0 by construction on a stream of its own mistakes.
 */
export function uneditedEditingMethod<Input>(
  predict: (inputs: readonly Input[]) => Promise<readonly EditLabel[]>,
  dispose?: () => void,
): EditingMethod<Input> {
  return {
    name: 'unedited',
    predict,
    edit: async () => undefined,
    keys: () => null,
    ...(dispose === undefined ? {} : { dispose }),
  };
}
