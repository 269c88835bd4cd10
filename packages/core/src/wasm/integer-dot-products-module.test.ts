import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import wabtFactory from 'wabt';
import { integerDotProductsWasmBase64 } from './integer-dot-products-module.js';

describe('integer-dot-products-module.ts', () => {
  it('holds exactly what integer-dot-products.wat compiles to (run `pnpm generate:wasm` after editing the .wat)', async () => {
    const wabt = await wabtFactory();
    const source = await readFile(new URL('./integer-dot-products.wat', import.meta.url), 'utf8');
    const parsed = wabt.parseWat('integer-dot-products.wat', source, { simd: true });
    try {
      const compiled = Buffer.from(parsed.toBinary({}).buffer).toString('base64');
      expect(integerDotProductsWasmBase64).toBe(compiled);
    } finally {
      parsed.destroy();
    }
  });
});
