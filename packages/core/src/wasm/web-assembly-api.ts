/**
 * The part of the WebAssembly JavaScript API the packages use (core's quantized key index, the cpu backend's
 * matrix products), typed here because they compile against ES2022 alone (no DOM library): Node and every
 * browser provide it as `globalThis.WebAssembly`.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Grows by `pages` of 64 KiB; the old `buffer` is detached. */
  grow(pages: number): number;
}

export interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  readonly Memory: new (descriptor: { initial: number }) => WasmMemory;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
}

/** The platform's WebAssembly, or `undefined` where there is none. */
export function webAssemblyApi(): WebAssemblyApi | undefined {
  return (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}
