import type { GraceBackend, LookupResult, ReplacementMode } from './backend.js';
import type { Codebook } from './codebook.js';
import { DeviceCodebook } from './device-codebook.js';
import { GraceError } from './errors.js';
import { validateReplacementMode } from './kernel-arguments.js';
import { type KeyToken, keyTokenPositions, resolveLengths, validateKeyToken } from './key-token.js';
import { formatShape, type Tensor } from './tensor.js';

/** How a GRACE layer reads its query and writes its replacement. */
export interface GraceLayerOptions {
  /** Default `all`, which is also the only meaning for non-sequence outputs. */
  readonly replacement?: ReplacementMode;
  /** Default `last`. */
  readonly keyToken?: KeyToken;
  /**
   * S, the vectors per value of replacement `span`: the codebook's values are `S·Dv` wide, and vector s
   * replaces the output at token `keyPosition + s` (see {@link ReplacementMode}). Default 1; any other value
   * needs `replacement: 'span'`. An editor sizes its codebook's value width to `S ×` the model's Dv.
   */
  readonly spanLength?: number;
}

/**
 * The codebook value width of a layer whose output is `outputWidth` (Dv) wide: `spanLength × Dv` for
 * replacement `span`, Dv otherwise. `INVALID_ARGUMENT` for a span length that is not an integer >= 1, or one
 * above 1 without `span`.
 */
export function layerValueDimension(outputWidth: number, options: GraceLayerOptions = {}): number {
  return outputWidth * resolveSpanLength(options);
}

function resolveSpanLength(options: GraceLayerOptions): number {
  const spanLength = options.spanLength ?? 1;
  if (!Number.isInteger(spanLength) || spanLength < 1) {
    throw new GraceError('INVALID_ARGUMENT', `spanLength must be an integer >= 1, got ${spanLength}`, {
      spanLength,
    });
  }
  if (spanLength > 1 && options.replacement !== 'span') {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `spanLength ${spanLength} needs replacement 'span', not '${options.replacement ?? 'all'}'`,
      { spanLength, replacement: options.replacement },
    );
  }
  return spanLength;
}

/** One forward call of the wrapped layer. Tensors stay owned by the caller. */
export interface GraceLayerInput {
  /** `[B, Dk]` or `[B, T, Dk]`: what the frozen layer received. */
  readonly layerInput: Tensor<'float32'>;
  /** `[B, Dv]` or `[B, T, Dv]`: what the frozen layer produced. */
  readonly layerOutput: Tensor<'float32'>;
  /** Real tokens per row of a padded sequence batch; defaults to T for every row. */
  readonly lengths?: ArrayLike<number>;
}

/** Queries of one batch and the key token of each row, as the layer derived them. */
interface Queries {
  readonly queries: Tensor<'float32'>;
  /** Whether `queries` was made here (and must be disposed here) or is the caller's own input. */
  readonly owned: boolean;
  readonly keyPositions: Int32Array;
}

/**
 * A frozen layer wrapped with a GRACE codebook, on one backend: an input whose query lies within the radius
 * of its nearest key gets that key's value as the layer's output; every other input gets the frozen output
 * unchanged, bit for bit. Inference never changes the codebook.
 */
export class GraceLayer {
  readonly backend: GraceBackend;
  readonly codebook: Codebook;
  readonly replacement: ReplacementMode;
  /** S: vectors per value (1 unless `replacement` is `span`); the codebook's values are `S·Dv` wide. */
  readonly spanLength: number;
  readonly keyToken: KeyToken;
  private readonly device: DeviceCodebook;

  constructor(backend: GraceBackend, codebook: Codebook, options: GraceLayerOptions = {}) {
    if (backend.specificationVersion !== 'v1') {
      throw new GraceError(
        'BACKEND_UNAVAILABLE',
        `backend ${backend.name} implements spec ${String(backend.specificationVersion)}, not v1`,
        {
          specificationVersion: backend.specificationVersion,
        },
      );
    }
    const replacement = options.replacement ?? 'all';
    validateReplacementMode(replacement);
    const spanLength = resolveSpanLength(options);
    const keyToken = options.keyToken ?? 'last';
    validateKeyToken(keyToken);
    if (codebook.valueDimension % spanLength !== 0) {
      throw new GraceError(
        'SHAPE_MISMATCH',
        `the codebook's values (${codebook.valueDimension} wide) are not ${spanLength} vectors (spanLength)`,
        { valueDimension: codebook.valueDimension, spanLength },
      );
    }
    this.backend = backend;
    this.codebook = codebook;
    this.replacement = replacement;
    this.spanLength = spanLength;
    this.keyToken = keyToken;
    this.device = new DeviceCodebook(backend, codebook);
  }

  /**
   * The layer's output with GRACE applied. The returned tensors are new and belong to the caller;
   * `hitIndex[b]` is the key that fired for row b, or -1 where the layer deferred.
   */
  forward(input: GraceLayerInput): LookupResult {
    const { layerInput, layerOutput } = input;
    const outputWidth = layerOutput.shape.at(-1) as number;
    if (this.codebook.valueDimension !== this.spanLength * outputWidth) {
      throw new GraceError(
        'SHAPE_MISMATCH',
        `layerOutput ${formatShape(layerOutput.shape)} needs values ${this.spanLength} × ${outputWidth} wide, the codebook's are ${this.codebook.valueDimension}`,
        {
          layerOutput: layerOutput.shape,
          valueDimension: this.codebook.valueDimension,
          spanLength: this.spanLength,
        },
      );
    }
    const queries = this.extractQueries(layerInput, input.lengths, layerOutput);
    const sequenceOutput = layerOutput.shape.length === 3;
    const keyPositions = sequenceOutput
      ? this.backend.upload(queries.keyPositions, [queries.keyPositions.length])
      : undefined;
    try {
      const codebook = this.device.current();
      return this.backend.lookup({
        queries: queries.queries,
        ...codebook,
        layerOutput,
        ...(keyPositions === undefined ? {} : { keyPositions }),
        mode: this.replacement,
      });
    } finally {
      if (keyPositions !== undefined) this.backend.dispose(keyPositions);
      if (queries.owned) this.backend.dispose(queries.queries);
    }
  }

  /**
   * Brings the backend's copy of the codebook up to date now (only the rows changed since the last time)
   * instead of at the next `forward`, so that an edit, not the next prediction, pays for its own rows.
   */
  syncCodebook(): void {
    this.device.current();
  }

  /** The host queries `[B * Dk]` of a batch, as an editor needs them to make edits. */
  async readQueries(layerInput: Tensor<'float32'>, lengths?: ArrayLike<number>): Promise<Float32Array> {
    const queries = this.extractQueries(layerInput, lengths, undefined);
    try {
      return await this.backend.download(queries.queries);
    } finally {
      if (queries.owned) this.backend.dispose(queries.queries);
    }
  }

  /**
   * Bytes the backend holds for this layer's codebook (its copy, or what it keeps beside the host's rows, e.g.
   * the cpu backend's key norms and pivot index), spare capacity included.
   */
  get backendBytes(): number {
    return this.device.backendBytes;
  }

  /** Frees the backend copy of the codebook. The layer uploads it again if used afterwards. */
  dispose(): void {
    this.device.dispose();
  }

  private extractQueries(
    layerInput: Tensor<'float32'>,
    lengths: ArrayLike<number> | undefined,
    layerOutput: Tensor<'float32'> | undefined,
  ): Queries {
    const inputRank = layerInput.shape.length;
    if (inputRank !== 2 && inputRank !== 3) {
      throw new GraceError(
        'SHAPE_MISMATCH',
        `layerInput must be [B, Dk] or [B, T, Dk], got ${formatShape(layerInput.shape)}`,
        {
          layerInput: layerInput.shape,
        },
      );
    }
    if (layerInput.shape[inputRank - 1] !== this.codebook.keyDimension) {
      throw new GraceError(
        'SHAPE_MISMATCH',
        `layerInput ${formatShape(layerInput.shape)} is not ${this.codebook.keyDimension} wide (the codebook's Dk)`,
        { layerInput: layerInput.shape, keyDimension: this.codebook.keyDimension },
      );
    }
    const batch = layerInput.shape[0] as number;
    if (batch === 0)
      throw new GraceError('EMPTY_BATCH', 'layerInput has no rows', { layerInput: layerInput.shape });
    // The sequence that fixes token positions: the input's, else the output's, else none.
    const sequenceShape =
      inputRank === 3 ? layerInput.shape : layerOutput?.shape.length === 3 ? layerOutput.shape : undefined;
    const tokens = (sequenceShape?.[1] as number | undefined) ?? 1;
    const rowLengths = resolveLengths(batch, tokens, lengths);
    const keyPositions = keyTokenPositions(this.keyToken, rowLengths);
    if (inputRank === 2) return { queries: layerInput, owned: false, keyPositions };
    const perRow = this.backend.upload(this.keyToken === 'mean' ? rowLengths : keyPositions, [batch]);
    try {
      const queries =
        this.keyToken === 'mean'
          ? this.backend.meanTokens(layerInput, perRow)
          : this.backend.gatherTokens(layerInput, perRow);
      return { queries, owned: true, keyPositions };
    } finally {
      this.backend.dispose(perRow);
    }
  }
}
