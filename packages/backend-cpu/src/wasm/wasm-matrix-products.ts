import { type WasmMemory, webAssemblyApi } from '@grace/core';
import { matrixProductWasmBase64 } from './matrix-product-module.js';
import { type ArenaBlock, WasmArena } from './wasm-arena.js';

/** The module's functions; pointers are byte offsets into its memory, sizes are element counts. */
interface MatrixProductExports {
  product(left: number, right: number, out: number, rows: number, shared: number, columns: number): void;
  productTransposedRight(
    left: number,
    right: number,
    out: number,
    rows: number,
    shared: number,
    columns: number,
  ): void;
}

/**
 * Right operands at least this large (floats) go through WebAssembly; smaller products stay in the float64
 * loops, where the call and copy overheads would eat the gain. 4,096 floats = a 64 × 64 weight.
 */
export const wasmProductThreshold = 4096;

/**
 * Float32 SIMD matrix products (`matrix-product.wat`) for the large products of value training: a frozen
 * weight times an activation, forward and backward, a hundred times per edit.
 *
 * WebAssembly reads only its own memory, so operands are copied in. A right operand (a weight, the large side)
 * whose array the owner declared unchanging ({@link markStable}: the cpu backend's uploads, which only
 * `adamStep` ever changes, and it calls {@link unmarkStable} first) is copied once and kept for as long as its
 * array lives (a `WeakMap` keyed by the array, freed by a `FinalizationRegistry`); every other operand is copied
 * per call, so a backend that changes its arrays in place (a custom one built on the host ops) stays correct.
 * The resident copies cost memory: one extra float32 copy of each weight that takes part in a large product.
 *
 * Products sum in float32, eight or four lanes at a time: the error grows like the float32 epsilon times the
 * square root of the shared dimension, about 1e-6 relative for 768–3072 wide products, where the float64 loops
 * round once.
 */
export class WasmMatrixProducts {
  static #shared: WasmMatrixProducts | null | undefined;

  /**
   * One per process, made at first use: a compiled module and its memory, whose only state is the cache above
   * (no answer depends on it). `null` where WebAssembly SIMD is unavailable.
   */
  static get shared(): WasmMatrixProducts | null {
    if (WasmMatrixProducts.#shared === undefined) WasmMatrixProducts.#shared = WasmMatrixProducts.create();
    return WasmMatrixProducts.#shared;
  }

  private readonly arena: WasmArena;
  private readonly exports: MatrixProductExports;
  private readonly residents = new WeakMap<object, { block: ArenaBlock; token: object }>();
  private readonly stable = new WeakSet<object>();
  private readonly finalizer = new FinalizationRegistry<ArenaBlock>((block) => this.arena.release(block));

  private constructor(exports: MatrixProductExports, memory: WasmMemory) {
    this.arena = new WasmArena(memory);
    this.exports = exports;
  }

  /** The products, or `null` where WebAssembly SIMD is unavailable (the float64 loops then do everything). */
  static create(): WasmMatrixProducts | null {
    const api = webAssemblyApi();
    if (api === undefined) return null;
    const bytes = decodeBase64(matrixProductWasmBase64);
    if (!api.validate(bytes)) return null;
    const memory = new api.Memory({ initial: 1 });
    const instance = new api.Instance(new api.Module(bytes), { env: { memory } });
    return new WasmMatrixProducts(instance.exports as MatrixProductExports, memory);
  }

  /** Declares that `array` will not change until {@link unmarkStable}: it may then stay resident. */
  markStable(array: Float32Array): void {
    this.stable.add(array);
  }

  /** Withdraws {@link markStable} before `array` changes in place, dropping its resident copy. */
  unmarkStable(array: Float32Array): void {
    this.stable.delete(array);
    const resident = this.residents.get(array);
    if (resident === undefined) return;
    this.residents.delete(array);
    this.finalizer.unregister(resident.token);
    this.arena.release(resident.block);
  }

  /**
   * `product`: `out[m,n] += left[m,k] · right[k,n]`; `productTransposedRight`: `out[m,n] += left[m,k] ·
   * right[n,k]`; row-major operands at element offsets, the float32 result added into the float64 `out`.
   */
  multiply(
    kernel: keyof MatrixProductExports,
    left: Float32Array,
    leftOffset: number,
    right: Float32Array,
    rightOffset: number,
    out: Float64Array,
    outOffset: number,
    rows: number,
    shared: number,
    columns: number,
  ): void {
    const leftLength = rows * shared;
    const resident = this.stable.has(right) ? this.resident(right) : undefined;
    const rightLength = rows === 0 ? 0 : shared * columns;
    const rightBlock = resident ?? this.arena.allocate(rightLength * 4);
    const rightAt = resident === undefined ? rightBlock.offset : rightBlock.offset + rightOffset * 4;
    const outLength = rows * columns;
    const leftBlock = this.arena.allocate(leftLength * 4);
    const outBlock = this.arena.allocate(outLength * 4);
    try {
      const floats = this.arena.floats;
      if (resident === undefined)
        floats.set(right.subarray(rightOffset, rightOffset + rightLength), rightBlock.offset / 4);
      floats.set(left.subarray(leftOffset, leftOffset + leftLength), leftBlock.offset / 4);
      floats.fill(0, outBlock.offset / 4, outBlock.offset / 4 + outLength);
      this.exports[kernel](leftBlock.offset, rightAt, outBlock.offset, rows, shared, columns);
      const result = this.arena.floats.subarray(outBlock.offset / 4, outBlock.offset / 4 + outLength);
      for (let index = 0; index < outLength; index++) {
        out[outOffset + index] = (out[outOffset + index] as number) + (result[index] as number);
      }
    } finally {
      this.arena.release(outBlock);
      this.arena.release(leftBlock);
      if (resident === undefined) this.arena.release(rightBlock);
    }
  }

  private resident(array: Float32Array): ArenaBlock {
    const known = this.residents.get(array);
    if (known !== undefined) return known.block;
    const block = this.arena.allocate(array.length * 4);
    this.arena.floats.set(array, block.offset / 4);
    const token = {};
    this.residents.set(array, { block, token });
    this.finalizer.register(array, block, token);
    return block;
  }
}

function decodeBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}
