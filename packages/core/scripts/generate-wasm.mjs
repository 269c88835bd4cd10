// Compiles src/wasm/integer-dot-products.wat into src/wasm/integer-dot-products-module.ts (the bytes as base64),
// so the package ships its WebAssembly inside its JavaScript and needs no loader, file access or toolchain at run
// time.
import { readFile, writeFile } from 'node:fs/promises';
import wabtFactory from 'wabt';

const source = new URL('../src/wasm/integer-dot-products.wat', import.meta.url);
const target = new URL('../src/wasm/integer-dot-products-module.ts', import.meta.url);

export async function compileIntegerDotProductsWat() {
  const wabt = await wabtFactory();
  const parsed = wabt.parseWat('integer-dot-products.wat', await readFile(source, 'utf8'), { simd: true });
  try {
    return Buffer.from(parsed.toBinary({}).buffer).toString('base64');
  } finally {
    parsed.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const base64 = await compileIntegerDotProductsWat();
  await writeFile(
    target,
    [
      '// Generated from integer-dot-products.wat by `pnpm --filter @grace/core generate:wasm`; do not edit.',
      '',
      '/** The compiled integer dot-product module (WebAssembly with SIMD), base64. */',
      `export const integerDotProductsWasmBase64 =\n  '${base64}';`,
      '',
    ].join('\n'),
  );
  process.stdout.write(`wrote ${target.pathname} (${Buffer.from(base64, 'base64').length} bytes)\n`);
}
