import { Codebook, type CodebookOptions, SeededRandom } from '@grace/core';

/**
 * A codebook of `keys` random keys in [-10, 10)^Dk with values in [0, 1)^Dv, radius 1e-3 each and labels
 * alternating 0/1, as a loaded codebook file would be: the large codebook of the growth benchmarks, where what
 * is timed is an edit's cost at that size, not the keys' contents. Random keys this far apart never overlap.
 */
export function randomCodebook(options: CodebookOptions, keys: number, seed: number): Codebook {
  const random = new SeededRandom(seed);
  return Codebook.restore(
    options,
    {
      keys: random.floats(keys * options.keyDimension, -10, 10),
      values: random.floats(keys * options.valueDimension, 0, 1),
      radii: new Float32Array(keys).fill(1e-3),
      labels: Array.from({ length: keys }, (_, index) => index % 2),
    },
    [],
    1,
  );
}
