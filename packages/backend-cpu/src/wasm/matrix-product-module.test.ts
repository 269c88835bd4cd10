import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import wabtFactory from 'wabt';
import { matrixProductWasmBase64 } from './matrix-product-module.js';

describe('matrix-product-module.ts', () => {
  it('holds exactly what matrix-product.wat compiles to (run `pnpm generate:wasm` after editing the .wat)', async () => {
    const wabt = await wabtFactory();
    const source = await readFile(new URL('./matrix-product.wat', import.meta.url), 'utf8');
    const parsed = wabt.parseWat('matrix-product.wat', source, { simd: true });
    try {
      const compiled = Buffer.from(parsed.toBinary({}).buffer).toString('base64');
      expect(matrixProductWasmBase64).toBe(compiled);
    } finally {
      parsed.destroy();
    }
  });
});
