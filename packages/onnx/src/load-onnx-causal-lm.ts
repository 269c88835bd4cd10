import {
  decodeArgMax,
  type EditableModel,
  type EditExample,
  type EditLabel,
  GraceError,
  type PrefixOutput,
  type ReplacementMode,
} from '@grace/core';
import { ignoredTokenTarget, tokenScoresName } from './import-suffix-graph.js';
import { type LoadOnnxModelOptions, loadOnnxModel, type OnnxEditableModel } from './load-onnx-model.js';
import type { OnnxModel } from './read-onnx-model.js';

/**
 * One example of a causal language model: token ids of a prompt and, for teacher forcing, of the continuation
 * that follows it. An edit's input carries its target as the continuation (see {@link continuationEdit}); a
 * prediction's continuation is what the model is checked against, token by token.
 */
export interface CausalLmInput {
  /** Token ids of the prompt, at least one. GRACE's key token is the prompt's last token. */
  readonly prompt: readonly number[];
  /** Token ids fed after the prompt (teacher forcing); may be absent or empty. */
  readonly continuation?: readonly number[];
}

/** How to load a causal language model (input ids and attention mask `[batch, sequence]`, logits `[B, T, V]`). */
export interface LoadOnnxCausalLmOptions
  extends Omit<LoadOnnxModelOptions, 'loss' | 'lossOn' | 'decodePredictions' | 'attentionMask'> {
  /** The token-id input. Default `input_ids`. */
  readonly inputIds?: string;
  /** The padding-mask input (1 for real tokens). Default `attention_mask`. */
  readonly attentionMask?: string;
  /** The id written at padded positions (masked, so any id the model knows). Default 0. */
  readonly padToken?: number;
  /**
   * The editor's replacement mode, when it is `span`: the same `replacement` and `spanLength` go to the
   * `GraceEditor` (spread one object into both). Other modes need nothing from the model.
   */
  readonly replacement?: ReplacementMode;
  /**
   * S, the vectors of a `span` value: vector k replaces the layer output at the prompt's last token + k, the
   * position whose logits predict target token k (teacher forcing). An edit's target may be at most S tokens;
   * a shorter one is followed by `endToken` up to S, so that every vector is trained and the edited model stops
   * after its target. Default 1.
   */
  readonly spanLength?: number;
  /**
   * The model's end-of-text token (e.g. GPT-2's `<|endoftext|>`), which pads a `span` edit's target to S tokens.
   * Without it, a target shorter than S is refused: its last vectors would have no position to be trained at.
   */
  readonly endToken?: number;
}

/** A causal language model cut for GRACE, editable on prompts and their target continuations. */
export interface OnnxCausalLm extends EditableModel<CausalLmInput> {
  /** The ONNX model behind it, whose inputs are `{ input_ids, attention_mask }` records. */
  readonly onnx: OnnxEditableModel;
  /** V: the vocabulary, the logits' last axis. */
  readonly vocabularySize: number;
  /** S: the tokens a `span` edit's target may have (1 unless loaded with `replacement: 'span'`). */
  readonly spanLength: number;
  /** The `[B, T]` records the ONNX model runs for a batch, right-padded to its longest row. */
  tokenRecords(inputs: readonly CausalLmInput[]): Record<string, number[]>[];
  /** Frees the onnxruntime sessions. */
  release(): Promise<void>;
}

/**
 * The edit that teaches a causal language model `target` after `prompt`: the input feeds the target after the
 * prompt (teacher forcing) and the label is the target itself, compared by exact sequence equality.
 */
export function continuationEdit(
  prompt: readonly number[],
  target: readonly number[],
  id?: string,
): EditExample<CausalLmInput> {
  return { input: { prompt, continuation: target }, label: [...target], ...(id === undefined ? {} : { id }) };
}

/**
 * Loads a causal language model (GPT-2 as the standard exporters write it) cut at `editAt`, for `GraceEditor`
 * on {@link CausalLmInput}s. A batch runs as prompt + continuation, right-padded to the padded length; each
 * row's `lengths` entry is its PROMPT length, so GRACE's key token is the prompt's last token (or the mean over
 * the prompt, or an index into it) and the replacement modes are relative to it: `last` replaces that token,
 * `prompt` the tokens before it, `all` every token, the continuation's included.
 *
 * - Loss: teacher-forced softmax cross-entropy over the target tokens, the authors' loss: the logits at the
 *   prompt's last token and at each continuation token but the last predict the next continuation token; the
 *   prompt's other positions and padding are ignored (`ignore_index`), over `[B·T, V]`.
 * - Label of a prediction: the arg-max token at each of those positions (one per continuation token; the next
 *   token alone when there is no continuation). It equals the target exactly when greedy decoding from the
 *   prompt produces the target, with GRACE's decision made once at the prompt's last token (earlier tokens of a
 *   causal model never see later ones, so the query does not depend on the continuation).
 * - Span edits (`replacement: 'span'`, `spanLength` S): a continuation shorter than S is fed and trained followed by
 *   `endToken` up to S tokens (positions p … p + S − 1 after the prompt's last token p then predict the target and
 *   the end token, and each holds one vector of the value); a prediction still reads the continuation's own
 *   positions, so an edit is fixed when the teacher-forced target matches, as in every mode.
 * - Errors: an empty prompt, ids outside `[0, V)`, an edit whose label is not its input's continuation, a span
 *   edit's target longer than S (or shorter without `endToken`), a bad `spanLength`, or a row longer than the
 *   padded length (a fixed `dimensions` entry) are `INVALID_ARGUMENT`.
 */
export async function loadOnnxCausalLm(
  pathOrBytes: string | Uint8Array | OnnxModel,
  options: LoadOnnxCausalLmOptions,
): Promise<OnnxCausalLm> {
  const inputIds = options.inputIds ?? 'input_ids';
  const attentionMask = options.attentionMask ?? 'attention_mask';
  const padToken = options.padToken ?? 0;
  const spanLength = validatedSpanLength(options);
  const onnx = await loadOnnxModel(pathOrBytes, {
    ...options,
    attentionMask,
    loss: 'token-softmax-cross-entropy',
  });
  const names = onnx.inputSpecs.map((spec) => spec.name).sort();
  if (names.length !== 2 || !names.includes(inputIds) || !names.includes(attentionMask)) {
    await onnx.release();
    throw new GraceError(
      'INVALID_ARGUMENT',
      `a causal language model takes '${inputIds}' and '${attentionMask}'; this one takes ${names.join(', ')}`,
      { inputs: names },
    );
  }
  const vocabularySize = vocabularyOf(onnx);
  if (typeof vocabularySize !== 'number') {
    await onnx.release();
    throw new GraceError('INVALID_ARGUMENT', 'the logits have no fixed vocabulary axis', {
      vocabularySize,
    });
  }
  const endToken = options.endToken;
  if (endToken !== undefined && !(Number.isInteger(endToken) && endToken >= 0 && endToken < vocabularySize)) {
    await onnx.release();
    throw new GraceError('INVALID_ARGUMENT', `endToken must be a token id in [0, ${vocabularySize})`, {
      endToken,
    });
  }
  // What a row feeds after its prompt: its continuation, followed by the end token up to a span's S tokens.
  const fedContinuation = (input: CausalLmInput): readonly number[] => {
    const continuation = input.continuation ?? [];
    if (endToken === undefined || continuation.length === 0 || continuation.length >= spanLength)
      return continuation;
    return [...continuation, ...new Array<number>(spanLength - continuation.length).fill(endToken)];
  };
  const declaredLength = onnx.inputSpecs.find((spec) => spec.name === inputIds)?.exampleShape[0];
  // A sequence length fixed by `dimensions` pads every batch to it; a run-time one, to the batch's longest row.
  const fixedLength = typeof declaredLength === 'number' ? declaredLength : undefined;
  const paddedLength = (inputs: readonly CausalLmInput[]): number => {
    const longest = Math.max(
      ...inputs.map(
        (input, row) =>
          checkedLength(input, row, vocabularySize) +
          fedContinuation(input).length -
          (input.continuation?.length ?? 0),
      ),
    );
    if (fixedLength === undefined) return longest;
    if (longest > fixedLength)
      throw new GraceError(
        'INVALID_ARGUMENT',
        `a row of ${longest} tokens is longer than the model's fixed sequence length ${fixedLength}`,
        { longest, fixedLength },
      );
    return fixedLength;
  };
  const tokenRecords = (inputs: readonly CausalLmInput[]): Record<string, number[]>[] => {
    const tokens = paddedLength(inputs);
    return inputs.map((input) => {
      const ids = [...input.prompt, ...fedContinuation(input)];
      return {
        [inputIds]: Array.from({ length: tokens }, (_, token) => ids[token] ?? padToken),
        [attentionMask]: Array.from({ length: tokens }, (_, token) => (token < ids.length ? 1 : 0)),
      };
    });
  };
  return {
    onnx,
    vocabularySize,
    spanLength,
    layerId: onnx.layerId,
    keyDimension: onnx.keyDimension,
    valueDimension: onnx.valueDimension,
    suffix: onnx.suffix,
    activationInput: onnx.activationInput,
    targetInput: onnx.targetInput,
    predictionOutput: onnx.predictionOutput,
    lossOutput: onnx.lossOutput,
    tokenRecords,
    async runPrefix(backend, inputs): Promise<PrefixOutput> {
      const prefix = await onnx.runPrefix(backend, tokenRecords(inputs));
      // The key token is the prompt's last token: lengths are prompt lengths, not the real tokens of each row.
      return { ...prefix, lengths: inputs.map((input) => input.prompt.length) };
    },
    encodeTargets(backend, labels, inputs) {
      const rows = requireInputs(inputs, labels.length);
      const tokens = paddedLength(rows);
      const targets = new Int32Array(rows.length * tokens).fill(ignoredTokenTarget);
      rows.forEach((input, row) => {
        const label = labels[row] as EditLabel;
        const continuation = input.continuation ?? [];
        const same =
          typeof label === 'object' &&
          label.length === continuation.length &&
          label.every((id, position) => id === continuation[position]);
        if (!same || continuation.length === 0)
          throw new GraceError(
            'INVALID_ARGUMENT',
            `row ${row}: the label of a causal-LM edit is its input's (non-empty) continuation, fed by teacher forcing`,
            { row, label, continuation },
          );
        if (options.replacement === 'span') checkSpanTarget(continuation.length, row, spanLength, endToken);
        // The logits at position p - 1 + j predict continuation token j.
        fedContinuation(input).forEach((id, position) => {
          targets[row * tokens + input.prompt.length - 1 + position] = id;
        });
      });
      return backend.upload(targets, [targets.length]);
    },
    decodePredictions(prediction, shape, inputs) {
      const rows = requireInputs(inputs, shape[0] as number);
      const [, tokens = 0, classes = 0] = shape;
      const ids = decodeArgMax(prediction, [prediction.length / classes, classes]);
      return rows.map((input, row) => {
        const count = Math.max(input.continuation?.length ?? 0, 1);
        const start = row * tokens + input.prompt.length - 1;
        return ids.slice(start, start + count);
      });
    },
    digestInput: (input) => `${input.prompt.join(' ')} | ${(input.continuation ?? []).join(' ')}`,
    release: () => onnx.release(),
  };
}

/** S from the options: 1 but for `span`; `INVALID_ARGUMENT` for a bad one. */
function validatedSpanLength(options: LoadOnnxCausalLmOptions): number {
  const spanLength = options.spanLength ?? 1;
  if (!Number.isInteger(spanLength) || spanLength < 1 || (spanLength > 1 && options.replacement !== 'span'))
    throw new GraceError(
      'INVALID_ARGUMENT',
      `spanLength must be an integer >= 1, and above 1 only with replacement 'span'; got ${spanLength} with '${options.replacement ?? 'all'}'`,
      { spanLength, replacement: options.replacement },
    );
  return spanLength;
}

/** A span edit's target fits its S vectors: at most S tokens, and S exactly unless an end token pads it. */
function checkSpanTarget(
  length: number,
  row: number,
  spanLength: number,
  endToken: number | undefined,
): void {
  if (length > spanLength)
    throw new GraceError(
      'INVALID_ARGUMENT',
      `row ${row}: a target of ${length} tokens is longer than the span's ${spanLength} (spanLength)`,
      { row, length, spanLength },
    );
  if (length < spanLength && endToken === undefined)
    throw new GraceError(
      'INVALID_ARGUMENT',
      `row ${row}: a target of ${length} tokens is shorter than the span's ${spanLength}; give endToken to pad it`,
      { row, length, spanLength },
    );
}

/** V: the last axis of the scores the token loss reads (`[B, T, V]`), when it is fixed. */
function vocabularyOf(model: OnnxEditableModel): number | string | undefined {
  const flatten = model.suffix.nodes.find((node) => node.outputs[0] === tokenScoresName);
  return model.cut.tensors.get(flatten?.inputs[0] ?? model.predictionOutput)?.shape.at(-1);
}

/** The inputs a causal model's targets and labels are placed by; refused when missing or of another count. */
function requireInputs(
  inputs: readonly CausalLmInput[] | undefined,
  count: number,
): readonly CausalLmInput[] {
  if (inputs === undefined || inputs.length !== count)
    throw new GraceError(
      'INVALID_ARGUMENT',
      `a causal language model places targets and labels by its inputs: ${count} rows need ${count} inputs`,
      { count, inputs: inputs?.length },
    );
  return inputs;
}

/** The row's length (prompt + continuation), checked: a non-empty prompt, integer ids in `[0, V)`. */
function checkedLength(input: CausalLmInput, row: number, vocabularySize: number): number {
  const ids = [...(input.prompt ?? []), ...(input.continuation ?? [])];
  if ((input.prompt?.length ?? 0) === 0)
    throw new GraceError('INVALID_ARGUMENT', `row ${row}: the prompt is empty`, { row });
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabularySize);
  if (bad !== undefined)
    throw new GraceError(
      'INVALID_ARGUMENT',
      `row ${row}: token id ${bad} is outside [0, ${vocabularySize})`,
      {
        row,
        id: bad,
      },
    );
  return ids.length;
}
