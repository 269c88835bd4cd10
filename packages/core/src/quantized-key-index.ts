import { GraceError } from './errors.js';
import { type ExactNearest, exactNearestAmong } from './exact-nearest-key.js';
import { grownCapacity } from './growable-rows.js';
import type { HostKeyIndex } from './host-key-index.js';
import { integerDotProductsWasmBase64 } from './wasm/integer-dot-products-module.js';
import { type WasmMemory, webAssemblyApi } from './wasm/web-assembly-api.js';

/**
 * The codebook's exact nearest-key index: an int8 copy of every key, scanned with WebAssembly SIMD integer dot
 * products to bound each key's exact distance, so that only the keys the bounds cannot rule out are summed
 * exactly.
 *
 * Each key k is stored as codes `ĉ ∈ [-127, 127]^D` with a scale `s = max|k_j| / 127`, its squared norm `‖k‖²`
 * and an upper bound `E` on its coding error `‖k − s·ĉ‖`; a query is coded the same way on arrival. With the
 * exact integer sum `I = Σ ĉ_q·ĉ_k`, `q·k` lies within `‖q‖·E_k + E_q·(‖k‖ + E_k)` of `s_q·s_k·I` (split
 * `q = s_q ĉ_q + e_q` and `k = s_k ĉ_k + e_k`, then Cauchy–Schwarz), so the exact squared distance lies within
 * twice that (plus a margin of 2⁻³⁰·(‖q‖² + ‖k‖²) for every float64 rounding, far above their sum) of
 * `‖q‖² + ‖k‖² − 2·s_q·s_k·I`. Every key whose lowest possible distance exceeds the smallest highest possible
 * one is ruled out; the rest are rechecked by `exactNearestAmong`. The brute-force winner is never ruled out (its
 * lowest bound is at most its exact sum, which is at most every key's), so the answer is the brute-force one
 * bit for bit: index, ties to the lowest, and squared distance.
 *
 * It helps where pivots cannot: the unbounded nearest key of high-dimensional keys (all distances alike, so
 * triangle-inequality bounds prune nothing) needs every key looked at, and here each look reads D bytes instead
 * of 4·D and runs sixteen multiply-adds per SIMD step. At 100,000 keys × 768 the scan reads 77 MB; the coding
 * error is about 1/400 of a key's norm, so one or a few keys are rechecked.
 *
 * Memory: nothing below `minimumKeys` keys; from there D bytes per key (rounded up to 16) in a WebAssembly memory
 * that grows by a quarter when full, plus 44 bytes per key of scales, norms, bounds and scratch: about a quarter
 * of the float32 keys. Updates cost O(D) per
 * appended or rewritten row; `'all'` recodes every row. Keys or queries that are not finite, codebooks below
 * `minimumKeys` keys and widths above {@link quantizedIndexMaximumWidth} are declined (`null`).
 */

/** Widest key whose integer sums stay exact in int32 (`width · 127² < 2³¹`). */
export const quantizedIndexMaximumWidth = 131_072;

/** Options of {@link QuantizedKeyIndex}. */
export interface QuantizedKeyIndexOptions {
  /**
   * Below this many keys the index holds nothing and declines, and the codebook sums every key directly: cheaper
   * there, and the index's 64 KiB memory pages would weigh on a small codebook. Default: 256 keys or 1 MiB of
   * float32 keys (2¹⁸ floats), whichever is more.
   */
  readonly minimumKeys?: number;
}

const codeLimit = 127;
const pageBytes = 65_536;
/** Relative margin for float64 rounding in the bounds (norms, products, sums): 2⁻³⁰ ≫ D·2⁻⁵³ for D ≤ 2¹⁷. */
const roundingMargin = 2 ** -30;

interface IntegerDotExports {
  integerDots(codes: number, query: number, out: number, rows: number, stride: number): void;
}

let compiledModule: object | null | undefined;

/** The compiled module, once per process; `null` where WebAssembly SIMD is unavailable or refused. */
function integerDotModule(): object | null {
  if (compiledModule !== undefined) return compiledModule;
  const api = webAssemblyApi();
  const bytes = Uint8Array.from(atob(integerDotProductsWasmBase64), (character) => character.charCodeAt(0));
  try {
    compiledModule = api?.validate(bytes) ? new api.Module(bytes) : null;
  } catch {
    // A page whose content security policy forbids compiling WebAssembly: search without the index.
    compiledModule = null;
  }
  return compiledModule;
}

/** The codes, scale, squared norm and coding-error bound of one vector. */
interface Coding {
  readonly scale: number;
  readonly squaredNorm: number;
  readonly error: number;
}

/**
 * Codes `source[offset, offset + width)` into `codes[at, at + width)` and returns its scale, squared norm and an
 * upper bound on `‖x − s·ĉ‖` (float64 with margins for its own roundings); `null` when a value is not finite.
 */
function encode(
  source: ArrayLike<number>,
  offset: number,
  width: number,
  codes: Int8Array,
  at: number,
): Coding | null {
  let largest = 0;
  for (let column = 0; column < width; column++) {
    const magnitude = Math.abs(source[offset + column] as number);
    if (!(magnitude <= Number.MAX_VALUE)) return null;
    if (magnitude > largest) largest = magnitude;
  }
  const scale = largest / codeLimit;
  // |x_j|·(127 / max|x|) exceeds 127 by one rounding at most, so every code lies in [-127, 127].
  const inverse = largest === 0 ? 0 : codeLimit / largest;
  let squaredNorm = 0;
  let squaredError = 0;
  for (let column = 0; column < width; column++) {
    const value = source[offset + column] as number;
    const code = Math.round(value * inverse);
    codes[at + column] = code;
    const residual = value - scale * code;
    squaredError += residual * residual;
    squaredNorm += value * value;
  }
  // Each residual is off by at most 2⁻⁵²·max|x| (the product and the subtraction), the sum by D·2⁻⁵³ relative.
  const error = Math.sqrt(squaredError) * (1 + roundingMargin) + Math.sqrt(width) * largest * 2 ** -48;
  return { scale, squaredNorm, error };
}

export class QuantizedKeyIndex implements HostKeyIndex {
  readonly width: number;
  /** Bytes per coded row: the width rounded up to a multiple of 16 (one SIMD load). */
  private readonly stride: number;
  private readonly minimumKeys: number;
  private readonly module: object;
  /** Made when the keys first reach `minimumKeys`; null before, and for good after a failed growth. */
  private exports: IntegerDotExports | null = null;
  private memory: WasmMemory | null = null;
  private failed = false;
  /** Byte offsets in the memory: the query's int16 codes at 0, then the key codes, then the int32 sums. */
  private readonly codesAt: number;
  private sumsAt: number;
  private capacity = 0;
  private rowCount = 0;
  /** Per key: scale, squared norm, coding-error bound, and ‖k‖ + error (an upper bound on ‖s·ĉ‖). */
  private scales = new Float64Array(0);
  private squaredNorms = new Float64Array(0);
  private errors = new Float64Array(0);
  private reaches = new Float64Array(0);
  /** Scratch: the lowest possible squared distance of each candidate. */
  private lowerBounds = new Float64Array(0);
  private readonly candidates: number[] = [];
  /** Scratch: the query's codes, widened into the memory's int16 query area for the scan. */
  private readonly queryCodes: Int8Array;
  /** Rows whose key is not finite: while any exist, every query is declined. */
  private readonly nonFinite = new Set<number>();

  /**
   * Throws `BACKEND_UNAVAILABLE` where WebAssembly SIMD is unavailable and `INVALID_ARGUMENT` for a width outside
   * [1, {@link quantizedIndexMaximumWidth}]; {@link createQuantizedKeyIndex} returns `null` instead.
   */
  constructor(width: number, options: QuantizedKeyIndexOptions = {}) {
    const minimumKeys = options.minimumKeys ?? Math.max(256, Math.ceil(2 ** 18 / width));
    if (!Number.isInteger(width) || width < 1 || width > quantizedIndexMaximumWidth) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `a quantized key index needs a width in [1, ${quantizedIndexMaximumWidth}]`,
        { width },
      );
    }
    if (!Number.isInteger(minimumKeys) || minimumKeys < 1) {
      throw new GraceError('INVALID_ARGUMENT', 'minimumKeys must be a positive integer', { minimumKeys });
    }
    const module = integerDotModule();
    if (module === null) {
      throw new GraceError('BACKEND_UNAVAILABLE', 'the quantized key index needs WebAssembly SIMD', {});
    }
    this.width = width;
    this.stride = Math.ceil(width / 16) * 16;
    this.minimumKeys = minimumKeys;
    this.codesAt = this.stride * 2;
    this.queryCodes = new Int8Array(width);
    this.sumsAt = this.codesAt;
    this.module = module;
  }

  /** Keys the index follows. */
  get rows(): number {
    return this.rowCount;
  }

  get bytes(): number {
    const perKey = [this.scales, this.squaredNorms, this.errors, this.reaches, this.lowerBounds];
    return (this.memory?.buffer.byteLength ?? 0) + perKey.reduce((sum, array) => sum + array.byteLength, 0);
  }

  update(keys: Float32Array, changedRows: readonly number[] | 'all'): void {
    const rows = Math.floor(keys.length / this.width);
    let changed = changedRows;
    if (this.memory === null) {
      this.rowCount = rows;
      if (this.failed || rows < this.minimumKeys || !this.engage()) return;
      changed = 'all';
    }
    const previous = changed === 'all' ? 0 : this.rowCount;
    if (changed === 'all') this.nonFinite.clear();
    for (let row = rows; row < previous; row++) this.nonFinite.delete(row);
    if (!this.reserve(rows)) return;
    const kept = Math.min(previous, rows);
    if (changed !== 'all') for (const row of new Set(changed)) if (row < kept) this.place(keys, row);
    for (let row = kept; row < rows; row++) this.place(keys, row);
    this.rowCount = rows;
  }

  nearest(query: Float32Array, keys: Float32Array): ExactNearest | null {
    const { memory, exports } = this;
    if (memory === null || exports === null || this.rowCount < this.minimumKeys || this.nonFinite.size > 0) {
      return null;
    }
    const queryCoding = encode(query, 0, this.width, this.queryCodes, 0);
    if (queryCoding === null) return null;
    new Int16Array(memory.buffer, 0, this.width).set(this.queryCodes);
    exports.integerDots(this.codesAt, 0, this.sumsAt, this.rowCount, this.stride);
    const sums = new Int32Array(memory.buffer, this.sumsAt, this.rowCount);
    const queryNorm = Math.sqrt(queryCoding.squaredNorm) * (1 + roundingMargin);
    const queryError = queryCoding.error;
    const twiceQueryScale = 2 * queryCoding.scale;
    const querySquaredNorm = queryCoding.squaredNorm;
    const { scales, squaredNorms, errors, reaches, lowerBounds, candidates } = this;
    // One pass with a threshold that only falls; the survivors are filtered by the final one.
    let smallestUpper = Number.POSITIVE_INFINITY;
    candidates.length = 0;
    for (let key = 0; key < this.rowCount; key++) {
      const norms = querySquaredNorm + (squaredNorms[key] as number);
      const approximate = norms - twiceQueryScale * (scales[key] as number) * (sums[key] as number);
      const halfWidth =
        2 * (queryNorm * (errors[key] as number) + queryError * (reaches[key] as number)) +
        roundingMargin * norms;
      const upper = approximate + halfWidth;
      if (upper < smallestUpper) smallestUpper = upper;
      const lower = approximate - halfWidth;
      if (lower <= smallestUpper) {
        lowerBounds[candidates.length] = lower;
        candidates.push(key);
      }
    }
    const chosen = candidates.filter((_, position) => (lowerBounds[position] as number) <= smallestUpper);
    return exactNearestAmong(query, 0, keys, this.width, chosen);
  }

  /** Makes the memory and the module's instance; false (for good) where the platform refuses. */
  private engage(): boolean {
    const api = webAssemblyApi();
    try {
      if (api === undefined) throw new Error('WebAssembly is unavailable');
      const memory = new api.Memory({ initial: 1 });
      this.exports = new api.Instance(this.module, { env: { memory } }).exports as IntegerDotExports;
      this.memory = memory;
      return true;
    } catch {
      this.failed = true;
      return false;
    }
  }

  /** Codes row `row` of `keys` into its slot (or marks it not finite). */
  private place(keys: Float32Array, row: number): void {
    const memory = this.memory as WasmMemory;
    const codes = new Int8Array(memory.buffer, this.codesAt + row * this.stride, this.width);
    const coding = encode(keys, row * this.width, this.width, codes, 0);
    if (coding === null) {
      this.nonFinite.add(row);
      return;
    }
    this.nonFinite.delete(row);
    this.scales[row] = coding.scale;
    this.squaredNorms[row] = coding.squaredNorm;
    this.errors[row] = coding.error;
    this.reaches[row] = Math.sqrt(coding.squaredNorm) * (1 + roundingMargin) + coding.error;
  }

  /**
   * Grows the memory and the per-key arrays (by a quarter at least) to hold `rows` keys. The codes stay where
   * they are; the sums move behind them. False, with the memory dropped and every later query declined, when
   * the WebAssembly memory cannot grow that far.
   */
  private reserve(rows: number): boolean {
    const memory = this.memory;
    if (memory === null) return false;
    if (rows <= this.capacity) return true;
    const capacity = grownCapacity(this.capacity, rows);
    const needed = this.codesAt + capacity * this.stride + capacity * 4;
    try {
      const missing = needed - memory.buffer.byteLength;
      if (missing > 0) memory.grow(Math.ceil(missing / pageBytes));
    } catch {
      this.memory = null;
      this.exports = null;
      this.failed = true;
      return false;
    }
    const grow = (array: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const grown = new Float64Array(capacity);
      grown.set(array);
      return grown;
    };
    this.scales = grow(this.scales);
    this.squaredNorms = grow(this.squaredNorms);
    this.errors = grow(this.errors);
    this.reaches = grow(this.reaches);
    this.lowerBounds = new Float64Array(capacity);
    this.capacity = capacity;
    this.sumsAt = this.codesAt + capacity * this.stride;
    return true;
  }
}

/**
 * The quantized key index for keys of `width` floats, or `null` where WebAssembly SIMD is unavailable or the
 * width is above {@link quantizedIndexMaximumWidth} (the codebook then searches as before).
 */
export function createQuantizedKeyIndex(
  width: number,
  options: QuantizedKeyIndexOptions = {},
): QuantizedKeyIndex | null {
  if (!Number.isInteger(width) || width < 1 || width > quantizedIndexMaximumWidth) return null;
  return integerDotModule() === null ? null : new QuantizedKeyIndex(width, options);
}
