import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * 10,000 real handwritten digits from the `mnist` package (1.1.0, MIT), one JSON file per digit holding
 * 28×28 grey levels in [0, 1]. Read by path so nothing of the package's browser-oriented code runs.
 */
export interface MnistDigits {
  /** `[count, 784]` row-major pixels in [0, 1]. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
}

/** Pixels per image. */
export const mnistImageSize = 28 * 28;

let cached: Promise<MnistDigits> | undefined;

/** All digits, grouped by class in the package's order (0s first); callers shuffle or split as they need. */
export function loadMnistDigits(): Promise<MnistDigits> {
  cached ??= (async () => {
    const packageFolder = dirname(createRequire(import.meta.url).resolve('mnist'));
    const perDigit = await Promise.all(
      Array.from({ length: 10 }, async (_, digit) => {
        const text = await readFile(join(packageFolder, 'digits', `${digit}.json`), 'utf8');
        return Float32Array.from((JSON.parse(text) as { data: number[] }).data);
      }),
    );
    const count = perDigit.reduce((total, pixels) => total + pixels.length / mnistImageSize, 0);
    const images = new Float32Array(count * mnistImageSize);
    const labels = new Int32Array(count);
    let row = 0;
    perDigit.forEach((pixels, digit) => {
      images.set(pixels, row * mnistImageSize);
      const rows = pixels.length / mnistImageSize;
      labels.fill(digit, row, row + rows);
      row += rows;
    });
    return { images, labels, count };
  })();
  return cached;
}

/** One image `[784]` (a view, do not mutate). */
export function mnistImage(digits: MnistDigits, index: number): Float32Array {
  return digits.images.subarray(index * mnistImageSize, (index + 1) * mnistImageSize);
}
