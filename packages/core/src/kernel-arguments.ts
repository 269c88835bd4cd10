import {
  type AdamStepArguments,
  type LookupArguments,
  type ReplacementMode,
  replacementModes,
} from './backend.js';
import { GraceError } from './errors.js';
import { type DType, formatShape, type Shape, shapesEqual, type Tensor } from './tensor.js';

/**
 * Host-side checks of kernel arguments, shared by every backend so that one bad call fails with the same
 * code everywhere, before any device work is queued. They read only shapes and dtypes, never data.
 */

function expectDtype(tensor: Tensor, dtype: DType, name: string): void {
  if (tensor.dtype !== dtype) {
    throw new GraceError('DTYPE_MISMATCH', `${name} must be ${dtype}, got ${tensor.dtype}`, {
      name,
      expected: dtype,
      received: tensor.dtype,
    });
  }
}

function expectRank(tensor: Tensor, rank: number, name: string, layout: string): void {
  if (tensor.shape.length !== rank) {
    throw new GraceError('SHAPE_MISMATCH', `${name} must be ${layout}, got ${formatShape(tensor.shape)}`, {
      name,
      shape: tensor.shape,
    });
  }
}

function expectDimension(
  actual: number,
  expected: number,
  message: string,
  details: Record<string, unknown>,
): void {
  if (actual !== expected) throw new GraceError('SHAPE_MISMATCH', message, details);
}

function expectBatch(batch: number, name: string): void {
  if (batch === 0) throw new GraceError('EMPTY_BATCH', `${name} has no rows`, { name });
}

/** `queries [B, Dk]` with `B > 0`, `keys [N, Dk]`. */
export function validateNearestKeyArguments(queries: Tensor, keys: Tensor): void {
  expectDtype(queries, 'float32', 'queries');
  expectDtype(keys, 'float32', 'keys');
  expectRank(queries, 2, 'queries', '[B, Dk]');
  expectRank(keys, 2, 'keys', '[N, Dk]');
  expectBatch(queries.shape[0] as number, 'queries');
  expectDimension(
    keys.shape[1] as number,
    queries.shape[1] as number,
    `keys ${formatShape(keys.shape)} and queries ${formatShape(queries.shape)} differ in width Dk`,
    { queries: queries.shape, keys: keys.shape },
  );
}

/** `input [B, T, D]` with `B, T > 0`, `perRow int32 [B]`. */
export function validateTokenArguments(input: Tensor, perRow: Tensor, perRowName: string): void {
  expectDtype(input, 'float32', 'input');
  expectDtype(perRow, 'int32', perRowName);
  expectRank(input, 3, 'input', '[B, T, D]');
  expectRank(perRow, 1, perRowName, '[B]');
  expectBatch(input.shape[0] as number, 'input');
  if (input.shape[1] === 0)
    throw new GraceError('EMPTY_BATCH', 'input has no tokens', { shape: input.shape });
  expectDimension(
    perRow.shape[0] as number,
    input.shape[0] as number,
    `${perRowName} ${formatShape(perRow.shape)} needs one entry per row of input ${formatShape(input.shape)}`,
    { input: input.shape, [perRowName]: perRow.shape },
  );
}

/** What {@link validateLookupArguments} learned from the shapes. */
export interface LookupLayout {
  /** Whether the output is a sequence `[B, T, Dv]`. */
  readonly sequence: boolean;
  /** S: vectors per value (values are `[N, S·Dv]`); 1 for every mode but `span`. */
  readonly spanLength: number;
}

/** `INVALID_ARGUMENT` for anything but a {@link ReplacementMode}. */
export function validateReplacementMode(mode: unknown): asserts mode is ReplacementMode {
  if (!replacementModes.includes(mode as ReplacementMode)) {
    throw new GraceError('INVALID_ARGUMENT', `unknown replacement mode ${String(mode)}`, { mode });
  }
}

/**
 * S for values `[N, W]` and an output `[..., Dv]`: `W = Dv` (S = 1) for every mode; `span` also takes any
 * multiple `W = S·Dv` on a sequence output. Anything else is `SHAPE_MISMATCH`.
 */
function lookupSpanLength(outputShape: Shape, valueShape: Shape, mode: ReplacementMode): number {
  const outputWidth = outputShape.at(-1) as number;
  const valueWidth = valueShape[1] as number;
  if (valueWidth === outputWidth) return 1;
  const details = { layerOutput: outputShape, values: valueShape, mode };
  if (mode !== 'span') {
    throw new GraceError(
      'SHAPE_MISMATCH',
      `layerOutput ${formatShape(outputShape)} and values ${formatShape(valueShape)} differ in width Dv`,
      details,
    );
  }
  if (outputWidth === 0 || valueWidth % outputWidth !== 0) {
    throw new GraceError(
      'SHAPE_MISMATCH',
      `values ${formatShape(valueShape)} of mode 'span' must be [N, S·Dv], a multiple of layerOutput ${formatShape(outputShape)}'s width`,
      details,
    );
  }
  if (outputShape.length !== 3) {
    throw new GraceError(
      'SHAPE_MISMATCH',
      `values ${formatShape(valueShape)} span ${valueWidth / outputWidth} tokens, but layerOutput ${formatShape(outputShape)} has none: a non-sequence output takes mode 'span' only with S = 1`,
      details,
    );
  }
  return valueWidth / outputWidth;
}

/** The layouts of {@link LookupArguments}: whether the output is a sequence, and the span length S. */
export function validateLookupArguments(args: LookupArguments): LookupLayout {
  const { queries, keys, radii, values, layerOutput, keyPositions, mode } = args;
  validateNearestKeyArguments(queries, keys);
  expectDtype(radii, 'float32', 'radii');
  expectDtype(values, 'float32', 'values');
  expectDtype(layerOutput, 'float32', 'layerOutput');
  expectRank(radii, 1, 'radii', '[N]');
  expectRank(values, 2, 'values', '[N, Dv]');
  const keyCount = keys.shape[0] as number;
  const batch = queries.shape[0] as number;
  expectDimension(
    radii.shape[0] as number,
    keyCount,
    `radii ${formatShape(radii.shape)} must be [N] = [${keyCount}]`,
    {
      radii: radii.shape,
      keys: keys.shape,
    },
  );
  expectDimension(
    values.shape[0] as number,
    keyCount,
    `values ${formatShape(values.shape)} must have one row per key (N = ${keyCount})`,
    { values: values.shape, keys: keys.shape },
  );
  const rank = layerOutput.shape.length;
  if (rank !== 2 && rank !== 3) {
    throw new GraceError(
      'SHAPE_MISMATCH',
      `layerOutput must be [B, Dv] or [B, T, Dv], got ${formatShape(layerOutput.shape)}`,
      {
        layerOutput: layerOutput.shape,
      },
    );
  }
  expectDimension(
    layerOutput.shape[0] as number,
    batch,
    `layerOutput ${formatShape(layerOutput.shape)} and queries ${formatShape(queries.shape)} differ in batch size`,
    { layerOutput: layerOutput.shape, queries: queries.shape },
  );
  validateReplacementMode(mode);
  const sequence = rank === 3;
  const spanLength = lookupSpanLength(layerOutput.shape, values.shape, mode);
  if (sequence) {
    if (keyPositions === undefined) {
      throw new GraceError('INVALID_ARGUMENT', 'a sequence layerOutput [B, T, Dv] needs keyPositions [B]', {
        layerOutput: layerOutput.shape,
      });
    }
    expectDtype(keyPositions, 'int32', 'keyPositions');
    expectRank(keyPositions, 1, 'keyPositions', '[B]');
    expectDimension(
      keyPositions.shape[0] as number,
      batch,
      `keyPositions ${formatShape(keyPositions.shape)} must be [B] = [${batch}]`,
      {
        keyPositions: keyPositions.shape,
      },
    );
  }
  return { sequence, spanLength };
}

/** Four float32 tensors of one shape, a 1-based integer step, finite positive hyper-parameters. */
export function validateAdamStepArguments(args: AdamStepArguments): void {
  const { parameter, gradient, firstMoment, secondMoment, step, hyperparameters } = args;
  const named: ReadonlyArray<readonly [string, Tensor]> = [
    ['parameter', parameter],
    ['gradient', gradient],
    ['firstMoment', firstMoment],
    ['secondMoment', secondMoment],
  ];
  for (const [name, tensor] of named) {
    expectDtype(tensor, 'float32', name);
    if (!shapesEqual(tensor.shape, parameter.shape)) {
      throw new GraceError(
        'SHAPE_MISMATCH',
        `${name} ${formatShape(tensor.shape)} must have the shape of parameter ${formatShape(parameter.shape)}`,
        { name, shape: tensor.shape, expected: parameter.shape },
      );
    }
  }
  if (!Number.isInteger(step) || step < 1) {
    throw new GraceError('INVALID_ARGUMENT', `Adam step must be an integer >= 1, got ${step}`, { step });
  }
  const { learningRate, beta1, beta2, epsilon } = hyperparameters;
  const valid =
    Number.isFinite(learningRate) &&
    learningRate >= 0 &&
    beta1 >= 0 &&
    beta1 < 1 &&
    beta2 >= 0 &&
    beta2 < 1 &&
    Number.isFinite(epsilon) &&
    epsilon > 0;
  if (!valid) {
    throw new GraceError('INVALID_ARGUMENT', 'Adam hyper-parameters out of range', { hyperparameters });
  }
}

/** Shape helper for backends: `[B, T, D]` → its three dimensions. */
export function sequenceDimensions(shape: Shape): { batch: number; tokens: number; width: number } {
  return { batch: shape[0] as number, tokens: shape[1] as number, width: shape[2] as number };
}

/**
 * SoftmaxCrossEntropyLoss labels: each row's label is a class in `[0, classes)` or the ignored index. Shared so
 * every backend refuses a bad label with the same error, on the host, before any device work is queued.
 */
export function validateClassLabels(
  labels: ArrayLike<number>,
  classes: number,
  ignoreIndex: number | null,
): void {
  for (let row = 0; row < labels.length; row++) {
    const label = labels[row] as number;
    if (label !== ignoreIndex && !(label >= 0 && label < classes)) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `label ${label} of row ${row} is not a class in [0, ${classes})`,
        {
          label,
          row,
          classes,
        },
      );
    }
  }
}
