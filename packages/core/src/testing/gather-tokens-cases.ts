import { SeededRandom } from '../random.js';
import { assertBitsEqual, assertClose, assertTensorLayout, assertThrowsGraceError } from './assertions.js';
import type { ConformanceCase } from './conformance-case.js';
import { referenceGatherTokens } from './reference-kernels.js';
import { defineScopedCase } from './tensor-scope.js';

const suite = 'gatherTokens';

/**
 * Reading the query at the key token. A gather only copies, so every backend must match exactly, whatever
 * its tolerance.
 */
export function gatherTokensCases(): ConformanceCase[] {
  return [
    defineScopedCase(suite, 'picks each row at its own position', async (scope) => {
      // input [2, 3, 2] holds 0..11 in order: row 0 is tokens (0,1) (2,3) (4,5), row 1 is (6,7) (8,9) (10,11).
      const input = scope.float32(
        Array.from({ length: 12 }, (_, index) => index),
        [2, 3, 2],
      );
      const output = scope.keep(scope.backend.gatherTokens(input, scope.int32([2, 0], [2])));
      assertTensorLayout(output, [2, 2], 'float32', 'output');
      assertClose(await scope.backend.download(output), [4, 5, 6, 7], 0, 'output');
    }),
    defineScopedCase(suite, 'first and last positions; -0 keeps its sign', async (scope) => {
      const data = new Float32Array([1, -0, 2, 3, 4, 5, -0, 7, 8, 9, 10, 11]);
      const input = scope.float32(data, [3, 2, 2]);
      const output = scope.keep(scope.backend.gatherTokens(input, scope.int32([0, 1, 1], [3])));
      assertBitsEqual(
        await scope.backend.download(output),
        new Float32Array([1, -0, -0, 7, 10, 11]),
        'output',
      );
    }),
    ...[
      [1, 1, 1],
      [4, 7, 5],
      [16, 32, 64],
    ].map(([batch, tokens, width]) =>
      defineScopedCase(suite, `random [${batch},${tokens},${width}] matches the reference`, async (scope) => {
        const random = new SeededRandom(batch * 1000 + tokens * 10 + width);
        const data = random.floats(batch * tokens * width);
        const positions = random.integers(batch, 0, tokens);
        const output = scope.keep(
          scope.backend.gatherTokens(
            scope.float32(data, [batch, tokens, width]),
            scope.int32(positions, [batch]),
          ),
        );
        const expected = referenceGatherTokens({ data, shape: [batch, tokens, width] }, positions);
        assertClose(await scope.backend.download(output), expected, 0, 'output');
      }),
    ),
    defineScopedCase(suite, 'a position outside [0, T) is INVALID_ARGUMENT', async (scope) => {
      const input = scope.float32(new Float32Array(12), [2, 3, 2]);
      for (const positions of [
        [0, 3],
        [-1, 0],
      ]) {
        await assertThrowsGraceError(
          () => scope.keep(scope.backend.gatherTokens(input, scope.int32(positions, [2]))),
          'INVALID_ARGUMENT',
          `positions [${positions}]`,
        );
      }
    }),
  ];
}
