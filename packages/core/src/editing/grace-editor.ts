import type { GraceBackend } from '../backend.js';
import { Codebook } from '../codebook.js';
import type { CodebookOptions } from '../codebook-options.js';
import type { EditOperation, EditRecord } from '../edit-record.js';
import { GraceError } from '../errors.js';
import { GraceLayer, type GraceLayerOptions, layerValueDimension } from '../grace-layer.js';
import { keyTokenPositions, resolveLengths } from '../key-token.js';
import { type EditLabel, labelsEqual, validateLabel } from '../labels.js';
import { SuffixExecutor } from '../suffix/suffix-executor.js';
import type { Tensor } from '../tensor.js';
import { type EditValueLayout, editValueLayout, frozenValue } from './edit-value-layout.js';
import { disposePrefixOutput, type EditableModel, type PrefixOutput } from './editable-model.js';
import {
  concatenatePredictionScores,
  type PredictionScores,
  predictionScores,
  scoreKindOf,
} from './prediction-scores.js';
import { trainValue, type ValueTrainingOptions } from './value-trainer.js';

/** Settings of an editor: the backend, the codebook's GRACE options, the layer's, and value training's. */
export interface GraceEditorOptions
  extends Omit<CodebookOptions, 'keyDimension' | 'valueDimension' | 'layerId'>,
    GraceLayerOptions {
  readonly backend: GraceBackend;
  readonly training?: ValueTrainingOptions;
  /** Continue with an existing codebook (e.g. a loaded file); its dimensions and layer must match the model. */
  readonly codebook?: Codebook;
  /** Rows per prefix/suffix pass in `predict`. Default 256. */
  readonly predictionBatchSize?: number;
  /** Called as edits start and finish, e.g. to draw a progress bar over a long `editBatch`. */
  readonly onProgress?: (event: EditProgressEvent) => void;
}

/** One error to fix: an input and the label the model should give it. */
export interface EditExample<Input> {
  readonly input: Input;
  readonly label: EditLabel;
  /** Defaults to `edit-<sequence>`. */
  readonly id?: string;
}

/** What an edit did. */
export interface EditResult {
  readonly record: EditRecord;
  readonly operation: EditOperation;
  /** The key whose value was trained. */
  readonly keyIndex: number;
  readonly loss: readonly number[];
  /** Wall time of the whole edit (prefix, codebook update, training). */
  readonly milliseconds: number;
  /**
   * Whether the edited model now gives the label for this input: judged after the commit through the model's
   * real prediction path (prefix, the layer's lookup on the backend, suffix, decoding), so an edit whose key
   * does not fire for its own input is not fixed, whatever its trained value would do.
   */
  readonly fixed: boolean;
  /** The key that fired for this input after the commit (normally `keyIndex`), or -1 where the layer deferred. */
  readonly firedKey: number;
}

/** Progress of `edit` and `editBatch`. */
export type EditProgressEvent =
  | { readonly kind: 'edit-start'; readonly index: number; readonly total: number }
  | {
      readonly kind: 'edit-done';
      readonly index: number;
      readonly total: number;
      readonly result: EditResult;
    };

/** Predictions of a batch and which key (if any) fired for each input. */
export interface PredictionDetails {
  readonly labels: EditLabel[];
  /** Key index per input, -1 where GRACE deferred to the frozen layer. */
  readonly keyIndices: Int32Array;
  /** The model's confidence: probabilities where its loss defines them, logits otherwise. */
  readonly scores: PredictionScores;
}

/**
 * GRACE on one layer of a model: edits fix the model's mistakes one at a time (codebook update, then a value
 * trained through the frozen suffix), predictions run the frozen model with the codebook in place, and any
 * edit can be rolled back. The model's weights never change.
 */
export class GraceEditor<Input> {
  readonly model: EditableModel<Input>;
  readonly backend: GraceBackend;
  readonly codebook: Codebook;
  readonly layer: GraceLayer;
  private readonly executor: SuffixExecutor;
  private readonly options: GraceEditorOptions;

  constructor(model: EditableModel<Input>, options: GraceEditorOptions) {
    this.model = model;
    this.backend = options.backend;
    this.options = options;
    const expected = modelDimensions(model, options);
    this.codebook = options.codebook ?? new Codebook({ ...options, ...expected });
    for (const field of ['keyDimension', 'valueDimension', 'layerId'] as const) {
      if (this.codebook.options[field] !== expected[field]) {
        throw new GraceError(
          'SHAPE_MISMATCH',
          `the codebook's ${field} ${this.codebook.options[field]} is not the model's ${expected[field]}`,
          {
            field,
          },
        );
      }
    }
    // The codebook's own search (each edit's decision) shares the backend's fast engine, when it has one.
    if (this.backend.dotProducts !== undefined) this.codebook.useDotProducts(this.backend.dotProducts);
    this.layer = new GraceLayer(this.backend, this.codebook, options);
    this.executor = new SuffixExecutor(this.backend, model.suffix);
  }

  /** Fixes one error. On any failure the codebook is left exactly as it was. */
  async edit(example: EditExample<Input>): Promise<EditResult> {
    return this.editOne(example, 0, 1);
  }

  /** Fixes errors one after another, in order, as the paper's lifelong editing does; progress per edit. */
  async editBatch(examples: readonly EditExample<Input>[]): Promise<EditResult[]> {
    const results: EditResult[] = [];
    for (const [index, example] of examples.entries())
      results.push(await this.editOne(example, index, examples.length));
    return results;
  }

  /** Removes an edit as if it had never been made (see `Codebook.rollback` for the exact rule). */
  rollback(editId: string): EditRecord {
    return this.codebook.rollback(editId);
  }

  /** The edited model's predictions. */
  async predict(inputs: readonly Input[]): Promise<EditLabel[]> {
    return (await this.predictWithDetails(inputs)).labels;
  }

  /** Predictions plus the key that fired for each input; `grace: false` gives the unedited model's. */
  async predictWithDetails(
    inputs: readonly Input[],
    options: { grace?: boolean } = {},
  ): Promise<PredictionDetails> {
    const labels: EditLabel[] = [];
    const keyIndices = new Int32Array(inputs.length).fill(-1);
    const batchScores: PredictionScores[] = [];
    const head = scoreKindOf(this.model.suffix, this.model.predictionOutput);
    const batchSize = this.options.predictionBatchSize ?? 256;
    for (let start = 0; start < inputs.length; start += batchSize) {
      const batch = inputs.slice(start, start + batchSize);
      const prefix = await this.model.runPrefix(this.backend, batch);
      const owned: Tensor[] = [];
      try {
        let activation = prefix.layerOutput;
        if (options.grace !== false) {
          const replaced = this.layer.forward({
            layerInput: prefix.layerInput,
            layerOutput: prefix.layerOutput,
            ...lengthsOf(prefix),
          });
          owned.push(replaced.output, replaced.hitIndex);
          activation = replaced.output;
          keyIndices.set(await this.backend.download(replaced.hitIndex), start);
        }
        const { outputs } = this.executor.run({
          feeds: { ...prefix.extras, [this.model.activationInput]: activation },
          outputs: [this.model.predictionOutput],
        });
        const prediction = outputs.get(this.model.predictionOutput) as Tensor<'float32'>;
        owned.push(prediction);
        const read = await this.backend.download(prediction);
        labels.push(...this.model.decodePredictions(read, prediction.shape, batch));
        batchScores.push(predictionScores(read, prediction.shape, head));
      } finally {
        for (const tensor of owned) this.backend.dispose(tensor);
        disposePrefixOutput(this.backend, prefix);
      }
    }
    return { labels, keyIndices, scores: concatenatePredictionScores(batchScores, head) };
  }

  /** Frees the backend's copies of the codebook and the suffix weights. */
  dispose(): void {
    this.layer.dispose();
    this.executor.dispose();
  }

  private async editOne(example: EditExample<Input>, index: number, total: number): Promise<EditResult> {
    validateLabel(example.label);
    const started = performance.now();
    this.options.onProgress?.({ kind: 'edit-start', index, total });
    const record = await this.commitEdit(example);
    // Judged through the path users run, after the commit: the lookup decides which value the input gets.
    const check = await this.predictWithDetails([example.input]);
    const predicted = check.labels[0];
    const result: EditResult = {
      record,
      operation: record.operation,
      keyIndex: record.keyIndex,
      loss: record.loss,
      milliseconds: performance.now() - started,
      fixed: predicted !== undefined && labelsEqual(predicted, example.label),
      firedKey: check.keyIndices[0] as number,
    };
    this.options.onProgress?.({ kind: 'edit-done', index, total, result });
    return result;
  }

  /** The codebook update and the value training of one edit, committed; aborted on any failure. */
  private async commitEdit(example: EditExample<Input>): Promise<EditRecord> {
    const prefix = await this.model.runPrefix(this.backend, [example.input]);
    let targets: Tensor | undefined;
    try {
      const query = await this.layer.readQueries(prefix.layerInput, prefix.lengths);
      const layout = this.valueLayout(prefix);
      const warm = this.codebook.options.valueInitialization === 'warm';
      const spansPastRow = layout.trainedWidth < this.codebook.valueDimension;
      const frozen = warm || spansPastRow ? await this.frozenValue(prefix, layout) : undefined;
      const digest = this.model.digestInput?.(example.input);
      const pending = this.codebook.beginEdit({
        query,
        label: example.label,
        ...(warm && frozen !== undefined ? { warmValue: frozen } : {}),
        ...(example.id === undefined ? {} : { id: example.id }),
        ...(digest === undefined ? {} : { inputDigest: digest }),
      });
      try {
        const value = pending.initialValue.slice();
        // A new key's span vectors past the row's end are never trained: they keep the frozen output.
        const createsKey = pending.plan.operation === 'ADD' || pending.plan.operation === 'SPLIT';
        if (createsKey && spansPastRow && frozen !== undefined) {
          value.set(frozen.subarray(layout.trainedWidth), layout.trainedWidth);
        }
        targets = this.model.encodeTargets(this.backend, [example.label], [example.input]);
        const training = await trainValue(
          {
            backend: this.backend,
            executor: this.executor,
            activationInput: this.model.activationInput,
            lossOutput: this.model.lossOutput,
            feeds: { ...prefix.extras, [this.model.targetInput]: targets },
            initialValue: value.subarray(0, layout.trainedWidth),
            placement: layout.placement,
            fixedOutputs: [this.model.predictionOutput],
            isFixed: async (outputs) => this.predictsLabel(outputs, example),
          },
          this.options.training,
        );
        value.set(training.value, 0);
        return pending.commit({ value, loss: training.loss });
      } catch (error) {
        pending.abort();
        throw error;
      }
    } finally {
      if (targets !== undefined) this.backend.dispose(targets);
      disposePrefixOutput(this.backend, prefix);
    }
  }

  /** Where this edit's value goes in its one-row training example (see `editValueLayout`). */
  private valueLayout(prefix: PrefixOutput): EditValueLayout {
    const output = prefix.layerOutput.shape;
    const tokens = output.length === 3 ? (output[1] as number) : 1;
    const lengths = resolveLengths(1, tokens, prefix.lengths);
    return editValueLayout({
      frozenOutput: prefix.layerOutput,
      keyPosition: keyTokenPositions(this.layer.keyToken, lengths)[0] as number,
      replacement: this.layer.replacement,
      spanLength: this.layer.spanLength,
    });
  }

  /** The frozen output where each vector of the value goes, `[S·Dv]` (`[Dv]` but for `span`). */
  private async frozenValue(prefix: PrefixOutput, layout: EditValueLayout): Promise<Float32Array> {
    const data = await this.backend.download(prefix.layerOutput);
    return frozenValue(data, prefix.layerOutput.shape.at(-1) as number, layout.frozenTokens);
  }

  private async predictsLabel(
    outputs: ReadonlyMap<string, Tensor<'float32'>>,
    example: EditExample<Input>,
  ): Promise<boolean> {
    const prediction = outputs.get(this.model.predictionOutput) as Tensor<'float32'>;
    const [predicted] = this.model.decodePredictions(
      await this.backend.download(prediction),
      prediction.shape,
      [example.input],
    );
    return predicted !== undefined && labelsEqual(predicted, example.label);
  }
}

/** The codebook dimensions an editor of `model` needs: values are `spanLength ×` the layer's Dv wide. */
function modelDimensions(
  model: EditableModel<unknown>,
  options: GraceLayerOptions,
): {
  keyDimension: number;
  valueDimension: number;
  layerId: string;
} {
  return {
    keyDimension: model.keyDimension,
    valueDimension: layerValueDimension(model.valueDimension, options),
    layerId: model.layerId,
  };
}

function lengthsOf(prefix: PrefixOutput): { lengths?: readonly number[] } {
  return prefix.lengths === undefined ? {} : { lengths: prefix.lengths };
}
