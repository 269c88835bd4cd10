import { SeededRandom } from '../random.js';
import { assertClose, assertTensorLayout, assertThrowsGraceError } from './assertions.js';
import type { ConformanceCase, ResolvedConformanceOptions } from './conformance-case.js';
import { referenceMeanTokens } from './reference-kernels.js';
import { defineScopedCase } from './tensor-scope.js';

const suite = 'meanTokens';

/** The `mean` key token: padded rows must average only their own tokens. */
export function meanTokensCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const { tolerance } = options;
  return [
    defineScopedCase(suite, 'averages each row over its own length', async (scope) => {
      // row 0: tokens (1,2) (3,4) (100,100), length 2 → (2,3); row 1: (0,1) (2,4) (4,1), length 3 → (2,2).
      const input = scope.float32([1, 2, 3, 4, 100, 100, 0, 1, 2, 4, 4, 1], [2, 3, 2]);
      const output = scope.keep(scope.backend.meanTokens(input, scope.int32([2, 3], [2])));
      assertTensorLayout(output, [2, 2], 'float32', 'output');
      assertClose(await scope.backend.download(output), [2, 3, 2, 2], tolerance, 'output');
    }),
    defineScopedCase(suite, 'length 1 is the first token; padding, even NaN, is ignored', async (scope) => {
      const nan = Number.NaN;
      const input = scope.float32([0.25, -3, nan, nan, 5, 6, 7, 8], [2, 2, 2]);
      const output = scope.keep(scope.backend.meanTokens(input, scope.int32([1, 2], [2])));
      assertClose(await scope.backend.download(output), [0.25, -3, 6, 7], tolerance, 'output');
    }),
    ...[
      [1, 1, 1],
      [5, 9, 6],
      [8, 64, 32],
    ].map(([batch, tokens, width]) =>
      defineScopedCase(suite, `random [${batch},${tokens},${width}] matches the reference`, async (scope) => {
        const random = new SeededRandom(7000 + batch * 100 + tokens + width);
        const data = random.floats(batch * tokens * width);
        const lengths = random.integers(batch, 1, tokens + 1);
        lengths[0] = tokens; // one row uses every token
        const output = scope.keep(
          scope.backend.meanTokens(
            scope.float32(data, [batch, tokens, width]),
            scope.int32(lengths, [batch]),
          ),
        );
        const expected = referenceMeanTokens({ data, shape: [batch, tokens, width] }, lengths);
        assertClose(await scope.backend.download(output), Float32Array.from(expected), tolerance, 'output');
      }),
    ),
    defineScopedCase(suite, 'a length outside [1, T] is INVALID_ARGUMENT', async (scope) => {
      const input = scope.float32(new Float32Array(12), [2, 3, 2]);
      for (const lengths of [
        [0, 1],
        [1, 4],
        [-1, 2],
      ]) {
        await assertThrowsGraceError(
          () => scope.keep(scope.backend.meanTokens(input, scope.int32(lengths, [2]))),
          'INVALID_ARGUMENT',
          `lengths [${lengths}]`,
        );
      }
    }),
  ];
}
