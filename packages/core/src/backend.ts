import type { DotProductEngine } from './dot-product-engine.js';
import type { RowMirror } from './row-mirror.js';
import type { RowStorage } from './row-storage.js';
import type { CompiledValueStep } from './suffix/compiled-value-step.js';
import type { SuffixKernels } from './suffix/op-kernel.js';
import type { SuffixProgram } from './suffix/suffix-program.js';
import type { DType, Shape, Tensor, TensorData, TensorDataOf } from './tensor.js';

/**
 * The GRACE backend specification, version 1.
 *
 * A backend is a plain object made by a factory (`createCpuBackend()`, ...) and passed to whatever needs it;
 * nothing registers itself globally. Core talks to tensors only through this interface, so the same
 * codebook and editor run on plain TypeScript, TensorFlow.js or WebGPU. A backend missing a kernel does not
 * compile, and `@grace/core/testing` checks that the kernels it has behave like the reference.
 *
 * Ownership: every tensor a kernel returns is new and belongs to the caller, who disposes it. Kernels never
 * dispose or alias their inputs (except `adamStep`, which updates its state tensors in place by contract).
 */
export interface GraceBackend {
  /** Lets core refuse a backend written against another version of this interface. */
  readonly specificationVersion: 'v1';
  /** A short human name, e.g. `cpu` or `webgpu (software adapter)`, used in benchmarks and errors. */
  readonly name: string;

  /** Copies host data to the backend. The data array may be reused by the caller afterwards. */
  upload<Data extends TensorData>(data: Data, shape: Shape): Tensor<DTypeOf<Data>>;
  /** Reads a tensor back to the host. Async because GPU backends must wait for the device. */
  download<D extends DType>(tensor: Tensor<D>): Promise<TensorDataOf[D]>;
  /**
   * Frees a tensor. Using it afterwards is a `DISPOSED_TENSOR` error. Disposing twice is harmless; disposing a
   * tensor of another backend is a `FOREIGN_TENSOR` error.
   */
  dispose(tensor: Tensor): void;

  /**
   * Makes an empty {@link RowMirror} whose rows have shape `rowShape` (`[Dk]` for keys, `[]` for radii): the
   * backend's copy of a host matrix that grows by appending and changes row by row, brought up to date in
   * O(row size) per written row. This is how a codebook's keys, values and radii reach the backend, so an edit
   * never re-uploads the whole codebook. `INVALID_ARGUMENT` for a dimension that is not an integer >= 1.
   */
  createRowMirror(rowShape: Shape): RowMirror;

  /**
   * Optional: a block of `floats` float32 numbers (zeroed) in the backend's own memory, in which a codebook keeps
   * its keys, values and radii while a `DeviceCodebook` of this backend lives (`Codebook.holdRowsIn`), so that
   * they are stored once: this backend's {@link RowMirror}, synced from a view of a storage's first floats,
   * serves them to kernels as they are (its `backendBytes` does not count them). Without it, a codebook keeps
   * its rows in JavaScript's heap and each mirror holds what it needs — today's behaviour, and right for every
   * backend that cannot compute on memory JavaScript writes.
   *
   * A backend offering it promises: a storage keeps its contents, whatever the backend allocates or frees, until
   * disposed (only views of it may be replaced, as a growing WebAssembly memory replaces them, and `floats()`
   * always gives a current one); a mirror's tensor keeps the rows it was synced from readable until its next
   * sync even if their storage is disposed in between (a codebook that grew moves to a new storage before the
   * mirror follows); and nothing the codebook's own search runs between deriving a view and reading it (its
   * `dotProducts` engine included) invalidates the view. `INVALID_ARGUMENT` for a count that is not an integer
   * >= 0. `@grace/core/testing` checks all of it.
   */
  allocateRowStorage?(floats: number): RowStorage;

  /**
   * Picks one token's activation per row: `input[b, positions[b], :]`.
   * Shapes: input `[B, T, D]`, positions int32 `[B]` → `[B, D]`. This is how the query is read at the key token.
   */
  gatherTokens(input: Tensor<'float32'>, positions: Tensor<'int32'>): Tensor<'float32'>;
  /**
   * Mean of each row's first `lengths[b]` token activations (padding after them is ignored).
   * Shapes: input `[B, T, D]`, lengths int32 `[B]` with `1 <= lengths[b] <= T` → `[B, D]`.
   */
  meanTokens(input: Tensor<'float32'>, lengths: Tensor<'int32'>): Tensor<'float32'>;

  /**
   * Exact Euclidean nearest key of every query; ties go to the lowest key index.
   * Shapes: queries `[B, Dk]`, keys `[N, Dk]` → index int32 `[B]`, distance float32 `[B]` (not squared).
   * With `N = 0` every index is -1 and every distance +Infinity. A NaN distance never wins, so a row with no
   * finite distance (a NaN query) also gets -1 and +Infinity, and `lookup` defers for it.
   *
   * Exact: the distance is computed by direct difference, `sqrt(Σ (q_j − k_j)²)`. A fast formula (the norm
   * identity `‖q‖² − 2 q·k + ‖k‖²`, one matrix product) may only pre-select candidates, because in float32 it
   * can rank close keys far from the origin wrongly; `nearestKeyCandidates` gives the candidates its error
   * bound cannot rule out and `exactNearestAmong` the exact pick. A float32 direct-difference distance is
   * within `float32DistanceErrorBound(Dk)` of the exact one, whatever the summation order.
   */
  nearestKey(queries: Tensor<'float32'>, keys: Tensor<'float32'>): NearestKeyResult;

  /**
   * The GRACE layer at inference, fused: nearest key, deferral test `distance <= radius` (the distance as
   * `nearestKey` reports it, in float32; the codebook stores every radius an edit relies on with the margin of
   * `coveringRadius`, so the query that expanded or retrained a key fires it on every backend), replacement. Deferred rows are copied bit for bit (NaN payloads, -0 and subnormals included), so GPU
   * backends copy them as raw words rather than through float arithmetic. It runs at every prediction, so GPU
   * backends must do it without a host round trip.
   */
  lookup(args: LookupArguments): LookupResult;

  /** One Adam update of `parameter` and its moment estimates, in place (PyTorch's formulation). */
  adamStep(args: AdamStepArguments): void;

  /**
   * Optional fast path for value training: compiles a planned suffix pass (`SuffixExecutor.prepare`, with a
   * gradient with respect to `parameter`, one of its fed inputs) into one call per training step — forward,
   * gradient and Adam together — or returns `undefined` for a program it does not handle, and core falls back
   * to calling the op kernels one by one. A backend offering it must train the same values as that path;
   * `@grace/core/testing` checks it.
   */
  compileValueStep?(program: SuffixProgram, parameter: string): CompiledValueStep | undefined;

  /**
   * Forward and gradient (VJP) kernels of every op of the suffix graph (op set v1), which core's executor
   * chains to run the model after the edited layer and to train values through it.
   */
  readonly ops: SuffixKernels;

  /**
   * Optional: the BLAS-class engine this backend searches host-memory keys with, lent to host-side searches
   * (`GraceEditor` hands it to its codebook, whose every edit looks up the nearest key). An engine only
   * pre-selects; the answers are rechecked exactly, so they never depend on it.
   */
  readonly dotProducts?: DotProductEngine;

  /**
   * Releases whatever the backend holds beyond its tensors (a GPU device, a worker). Optional: backends over
   * host memory have nothing to release. The backend is unusable afterwards.
   */
  destroy?(): void;
}

/** The dtype a host array becomes on a backend. */
export type DTypeOf<Data extends TensorData> = Data extends Int32Array ? 'int32' : 'float32';

/** Result of {@link GraceBackend.nearestKey}. */
export interface NearestKeyResult {
  /** int32 `[B]`: index of the nearest key, -1 when there are no keys. */
  readonly index: Tensor<'int32'>;
  /** float32 `[B]`: Euclidean distance to that key. */
  readonly distance: Tensor<'float32'>;
}

/**
 * Where a firing key's value goes in a sequence output `[B, T, Dv]` (non-sequence outputs `[B, Dv]` are
 * simply replaced):
 * - `all`: every token of the row;
 * - `last`: only the key token;
 * - `prompt`: every token before the key token (the reference's default for its QA model);
 * - `span`: a value is a sequence of `S` vectors, `[S·Dv]` (S >= 1, the span length, is the value width ÷ Dv):
 *   vector `s` replaces token `keyPosition + s` for every `s < S` with `keyPosition + s < T` (the span is
 *   clipped at the end of the row). Tokens before the key token and from `keyPosition + S` on keep the frozen
 *   output. One key then writes a different vector at each position of a multi-token continuation, which one
 *   vector cannot do; `last` is exactly `span` with S = 1. A non-sequence output takes `span` only with S = 1.
 */
export type ReplacementMode = 'all' | 'last' | 'prompt' | 'span';

/** Every {@link ReplacementMode}, for validation and for tests that run each one. */
export const replacementModes: readonly ReplacementMode[] = Object.freeze(['all', 'last', 'prompt', 'span']);

/** Arguments of {@link GraceBackend.lookup}. */
export interface LookupArguments {
  /** float32 `[B, Dk]`: the layer input at each row's key token. */
  readonly queries: Tensor<'float32'>;
  /** float32 `[N, Dk]`. */
  readonly keys: Tensor<'float32'>;
  /** float32 `[N]`: deferral radius of each key. */
  readonly radii: Tensor<'float32'>;
  /**
   * float32 `[N, Dv]`: the replacement output of each key; with mode `span`, `[N, S·Dv]`, the S vectors of each
   * key's span one after another (a width that is not a multiple of Dv is `SHAPE_MISMATCH`).
   */
  readonly values: Tensor<'float32'>;
  /** float32 `[B, Dv]` or `[B, T, Dv]`: what the frozen layer produced. */
  readonly layerOutput: Tensor<'float32'>;
  /**
   * int32 `[B]`: each row's key token, required for sequence outputs (padded rows end at different places).
   */
  readonly keyPositions?: Tensor<'int32'>;
  /** Ignored for non-sequence outputs. */
  readonly mode: ReplacementMode;
}

/** Result of {@link GraceBackend.lookup}. */
export interface LookupResult {
  /** float32, shape of `layerOutput`: rows whose nearest key fired are replaced, all others copied bit for bit. */
  readonly output: Tensor<'float32'>;
  /** int32 `[B]`: the key that fired for each row, or -1 where the layer deferred to the frozen output. */
  readonly hitIndex: Tensor<'int32'>;
}

/** Adam's hyper-parameters; GRACE trains values with learning rate 1.0 by default. */
export interface AdamHyperparameters {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** PyTorch's defaults except the learning rate, which GRACE sets to 1.0. */
export const defaultAdamHyperparameters: AdamHyperparameters = Object.freeze({
  learningRate: 1.0,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
});

/** Arguments of {@link GraceBackend.adamStep}; all four tensors share one shape. */
export interface AdamStepArguments {
  /** Updated in place: `p -= lr / (1 - β1^t) * m / (sqrt(v) / sqrt(1 - β2^t) + ε)`. */
  readonly parameter: Tensor<'float32'>;
  readonly gradient: Tensor<'float32'>;
  /** Updated in place: `m = β1 m + (1 - β1) g`. Starts at zero. */
  readonly firstMoment: Tensor<'float32'>;
  /** Updated in place: `v = β2 v + (1 - β2) g²`. Starts at zero. */
  readonly secondMoment: Tensor<'float32'>;
  /** 1 for the first update; used for bias correction. */
  readonly step: number;
  readonly hyperparameters: AdamHyperparameters;
}
