// Compiles src/wasm/matrix-product.wat into src/wasm/matrix-product-module.ts (the bytes as base64), so the
// package ships its WebAssembly inside its JavaScript and needs no loader, file access or toolchain at run time.
import { readFile, writeFile } from 'node:fs/promises';
import wabtFactory from 'wabt';

const source = new URL('../src/wasm/matrix-product.wat', import.meta.url);
const target = new URL('../src/wasm/matrix-product-module.ts', import.meta.url);

export async function compileMatrixProductWat() {
  const wabt = await wabtFactory();
  const parsed = wabt.parseWat('matrix-product.wat', await readFile(source, 'utf8'), { simd: true });
  try {
    return Buffer.from(parsed.toBinary({}).buffer).toString('base64');
  } finally {
    parsed.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const base64 = await compileMatrixProductWat();
  await writeFile(
    target,
    [
      '// Generated from matrix-product.wat by `pnpm --filter @grace/backend-cpu generate:wasm`; do not edit.',
      '',
      '/** The compiled matrix-product module (WebAssembly with SIMD), base64. */',
      `export const matrixProductWasmBase64 =\n  '${base64}';`,
      '',
    ].join('\n'),
  );
  process.stdout.write(`wrote ${target.pathname} (${Buffer.from(base64, 'base64').length} bytes)\n`);
}
