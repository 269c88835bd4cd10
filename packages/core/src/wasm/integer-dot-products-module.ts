// Generated from integer-dot-products.wat by `pnpm --filter @grace/core generate:wasm`; do not edit.

/** The compiled integer dot-product module (WebAssembly with SIMD), base64. */
export const integerDotProductsWasmBase64 =
  'AGFzbQEAAAABCQFgBX9/f39/AAIPAQNlbnYGbWVtb3J5AgABAwIBAAcPAQtpbnRlZ2VyRG90cwAACrUBAbIBAgR/AnsCQANAIAUgA08NASAAIAUgBGxqIQYgBiAEaiEHIAEhCP0MAAAAAAAAAAAAAAAAAAAAACEJAkADQCAGIAdPDQEgBv0ABAAhCiAJIAr9hwEgCP0ABAD9ugEgCv2IASAI/QAEEP26Af2uAf2uASEJIAZBEGohBiAIQSBqIQgMAAsLIAIgBUECdGogCf0bACAJ/RsBaiAJ/RsCIAn9GwNqajYCACAFQQFqIQUMAAsLCw==';
