import type { GraceBackend } from '../backend.js';
import { GraceError } from '../errors.js';
import { formatShape, type Shape, type Tensor } from '../tensor.js';

/**
 * Where the trained value goes in the activation fed to the suffix:
 * - `row`: the activation is the value itself, `[1, Dv]` (non-sequence layers);
 * - `tokens`: the activation is `[1, T, Dv]`; tokens marked in `replaced` (1) hold the value `[Dv]`, the others
 *   keep the frozen layer's output — the replacement modes all / last / prompt, as at inference;
 * - `span`: the value is `S'` vectors `[S'·Dv]` and vector s replaces token `keyPosition + s` alone (replacement
 *   `span`), the other tokens keep the frozen output; the span must end within the row (`keyPosition + S' <= T`):
 *   vectors past the row's end get no gradient, so the caller leaves them out of training.
 */
export type ValuePlacement =
  | { readonly kind: 'row' }
  | { readonly kind: 'tokens'; readonly frozenOutput: Tensor<'float32'>; readonly replaced: Float32Array }
  | { readonly kind: 'span'; readonly frozenOutput: Tensor<'float32'>; readonly keyPosition: number };

/** A sequence placement, run with the backend's own kernels so that it stays on the device like the suffix. */
export interface TokenPlacement {
  /** Shape of the trained value tensor. */
  readonly valueShape: Shape;
  /**
   * Whether the activation is the value itself (a span over every token of the row): training then feeds the
   * value as the activation, like a `row` placement, and may use the backend's compiled value step.
   */
  readonly feedsValue: boolean;
  /** `[1, T, Dv]`: the value where it is placed, the frozen output elsewhere. New tensor, or `value` itself. */
  activation(value: Tensor<'float32'>): Tensor<'float32'>;
  /** The loss gradient with respect to the value (shaped like it), from the activation's. New tensor. */
  valueGradient(activationGradient: Tensor<'float32'>): Tensor<'float32'>;
}

/**
 * The placement of a `[width]` value, or `undefined` for `row` (the activation is the value). Tensors it keeps
 * are handed to `keep`, which the caller disposes after training.
 */
export function sequencePlacement(
  backend: GraceBackend,
  placement: ValuePlacement,
  width: number,
  keep: <T extends Tensor>(tensor: T) => T,
): TokenPlacement | undefined {
  switch (placement.kind) {
    case 'row':
      return undefined;
    case 'tokens':
      return maskPlacement(backend, placement, keep);
    case 'span':
      return spanPlacement(backend, placement, width, keep);
  }
}

/**
 * `activation = value * mask + frozen * (1 - mask)`, and the value's gradient is the activation's gradient
 * summed over the replaced tokens (one vector serves them all).
 */
function maskPlacement(
  backend: GraceBackend,
  placement: Extract<ValuePlacement, { kind: 'tokens' }>,
  keep: <T extends Tensor>(tensor: T) => T,
): TokenPlacement {
  const tokenCount = placement.replaced.length;
  const width = placement.frozenOutput.shape[2] as number;
  const mask = keep(backend.upload(Float32Array.from(placement.replaced), [1, tokenCount, 1]));
  const keptMask = keep(
    backend.upload(
      placement.replaced.map((flag) => 1 - flag),
      [1, tokenCount, 1],
    ),
  );
  const frozenKept = keep(
    backend.ops.Mul.forward([placement.frozenOutput, keptMask], {}, placement.frozenOutput.shape),
  );
  return {
    valueShape: [1, 1, width],
    feedsValue: false,
    activation(value) {
      const spread = backend.ops.Mul.forward([value, mask], {}, placement.frozenOutput.shape);
      try {
        return backend.ops.Add.forward([spread, frozenKept], {}, placement.frozenOutput.shape);
      } finally {
        backend.dispose(spread);
      }
    },
    valueGradient(activationGradient) {
      const masked = backend.ops.Mul.forward([activationGradient, mask], {}, activationGradient.shape);
      try {
        return backend.ops.ReduceSum.forward([masked], { axes: [1], keepDims: true }, [1, 1, width]);
      } finally {
        backend.dispose(masked);
      }
    },
  };
}

/**
 * The value `[1, S', Dv]` is the tokens `[keyPosition, keyPosition + S')` of the activation: the activation is
 * `Concat(frozen before the span, value, frozen after it)` along the tokens, and the value's gradient is the
 * activation's gradient at those tokens (`Gather`), each vector's from its own token alone.
 */
function spanPlacement(
  backend: GraceBackend,
  placement: Extract<ValuePlacement, { kind: 'span' }>,
  width: number,
  keep: <T extends Tensor>(tensor: T) => T,
): TokenPlacement {
  const { frozenOutput, keyPosition } = placement;
  const [, tokens, tokenWidth] = frozenOutput.shape as [number, number, number];
  const vectors = tokenWidth === 0 ? 0 : width / tokenWidth;
  if (
    frozenOutput.shape.length !== 3 ||
    !Number.isInteger(vectors) ||
    vectors < 1 ||
    !Number.isInteger(keyPosition) ||
    keyPosition < 0 ||
    keyPosition + vectors > tokens
  ) {
    throw new GraceError(
      'SHAPE_MISMATCH',
      `a span value ${width} wide starting at token ${keyPosition} does not fit the output ${formatShape(frozenOutput.shape)}`,
      { width, keyPosition, frozenOutput: frozenOutput.shape },
    );
  }
  const tokenRange = (first: number, end: number) =>
    keep(
      backend.upload(
        Int32Array.from({ length: end - first }, (_, index) => first + index),
        [end - first],
      ),
    );
  const frozenPart = (first: number, end: number) =>
    first === end
      ? undefined
      : keep(
          backend.ops.Gather.forward([frozenOutput, tokenRange(first, end)], { axis: 1 }, [
            1,
            end - first,
            tokenWidth,
          ]),
        );
  const before = frozenPart(0, keyPosition);
  const after = frozenPart(keyPosition + vectors, tokens);
  const spanTokens = tokenRange(keyPosition, keyPosition + vectors);
  return {
    valueShape: [1, vectors, tokenWidth],
    feedsValue: before === undefined && after === undefined,
    activation(value) {
      if (before === undefined && after === undefined) return value;
      const parts = [before, value, after].filter((part): part is Tensor<'float32'> => part !== undefined);
      return backend.ops.Concat.forward(parts, { axis: 1 }, frozenOutput.shape);
    },
    valueGradient(activationGradient) {
      return backend.ops.Gather.forward([activationGradient, spanTokens], { axis: 1 }, [
        1,
        vectors,
        tokenWidth,
      ]);
    },
  };
}
