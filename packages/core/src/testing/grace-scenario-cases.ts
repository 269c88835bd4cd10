import { type GraceBackend, type ReplacementMode, replacementModes } from '../backend.js';
import { Codebook } from '../codebook.js';
import type { CodebookOptions } from '../codebook-options.js';
import { GraceLayer } from '../grace-layer.js';
import type { KeyToken } from '../key-token.js';
import {
  assertBitsEqual,
  assertClose,
  assertEqualInts,
  assertThrowsGraceError,
  assertTrue,
} from './assertions.js';
import {
  type ConformanceCase,
  defineConformanceCase,
  type ResolvedConformanceOptions,
} from './conformance-case.js';
import { TensorScope } from './tensor-scope.js';

/**
 * GRACE end to end on a backend: a codebook edited by hand, a {@link GraceLayer} over the backend, and the
 * behaviour the paper promises — inputs near a key get its value, everything else the frozen output bit for
 * bit, and inference never changes the codebook.
 */

const suite = 'grace scenarios';

/** A 2-D codebook with 3-wide values, the shape of the paper's section 2.2 illustrations. */
function codebook(options: Partial<CodebookOptions> = {}): Codebook {
  return new Codebook({ keyDimension: 2, valueDimension: 3, epsInit: 1, ...options });
}

interface LayerRun {
  readonly output: Float32Array;
  readonly hits: Int32Array;
}

/** Runs the layer on host rows and reads both results back, disposing everything it made. */
async function runLayer(
  backend: GraceBackend,
  layer: GraceLayer,
  input: { data: ArrayLike<number>; shape: number[] },
  output: { data: ArrayLike<number>; shape: number[] },
  lengths?: number[],
): Promise<LayerRun> {
  const scope = new TensorScope(backend);
  try {
    const result = layer.forward({
      layerInput: scope.float32(input.data, input.shape),
      layerOutput: scope.float32(output.data, output.shape),
      ...(lengths === undefined ? {} : { lengths }),
    });
    scope.keep(result.output);
    scope.keep(result.hitIndex);
    return { output: await backend.download(result.output), hits: await backend.download(result.hitIndex) };
  } finally {
    scope.disposeAll();
  }
}

/** Float32 patterns that a sloppy copy would change: -0, a subnormal, the largest float, a NaN payload. */
const awkwardBits = new Float32Array(
  new Uint32Array([0x80000000, 0x00000001, 0x7f7fffff, 0x7fc00123, 0x3f800001, 0xbf000000]).buffer,
);

export function graceScenarioCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const { tolerance } = options;
  return [
    defineConformanceCase(
      suite,
      'defers to the frozen output bit for bit outside every radius',
      async (backend) => {
        for (const edits of [0, 2]) {
          const book = codebook();
          if (edits > 0) {
            book.applyEdit({ query: [0, 0], label: 'a' }, { value: [1, 2, 3] });
            book.applyEdit({ query: [5, 5], label: 'b' }, { value: [4, 5, 6] });
          }
          const layer = new GraceLayer(backend, book);
          try {
            const run = await runLayer(
              backend,
              layer,
              { data: [2.5, 2.5, -3, 1], shape: [2, 2] },
              { data: awkwardBits, shape: [2, 3] },
            );
            assertBitsEqual(run.output, awkwardBits, `output with ${edits} keys`);
            assertEqualInts(run.hits, [-1, -1], `hits with ${edits} keys`);
          } finally {
            layer.dispose();
          }
        }
      },
    ),

    defineConformanceCase(
      suite,
      "replaces the output with the firing key's value, a distance equal to the radius included",
      async (backend) => {
        const book = codebook({ epsInit: 0.5 });
        book.applyEdit({ query: [0, 0], label: 'a' }, { value: [1, 2, 3] });
        book.applyEdit({ query: [4, 0], label: 'b' }, { value: [7, 8, 9] });
        const layer = new GraceLayer(backend, book);
        try {
          const run = await runLayer(
            backend,
            layer,
            { data: [0.1, 0.1, 0.5, 0, 4, 0.3, 2, 0], shape: [4, 2] },
            { data: new Float32Array(12).fill(-1), shape: [4, 3] },
          );
          assertEqualInts(run.hits, [0, 0, 1, -1], 'hits');
          assertClose(run.output, [1, 2, 3, 1, 2, 3, 7, 8, 9, -1, -1, -1], tolerance, 'output');
        } finally {
          layer.dispose();
        }
      },
    ),

    defineConformanceCase(suite, 'routes each side of a split to its own key', async (backend) => {
      const book = codebook();
      book.applyEdit({ query: [0, 0], label: 'a' }, { value: [1, 1, 1] });
      const split = book.applyEdit({ query: [1.2, 0], label: 'b' }, { value: [2, 2, 2] });
      assertTrue(split.operation === 'SPLIT', `expected a SPLIT, the codebook made ${split.operation}`);
      const layer = new GraceLayer(backend, book);
      try {
        const run = await runLayer(
          backend,
          layer,
          { data: [0.5, 0.1, 0.7, -0.1, -0.7, 0], shape: [3, 2] },
          { data: new Float32Array(9), shape: [3, 3] },
        );
        // The third query was inside the old ball before the split and is outside its halved radius now.
        assertEqualInts(run.hits, [0, 1, -1], 'hits');
        assertClose(run.output, [1, 1, 1, 2, 2, 2, 0, 0, 0], tolerance, 'output');
      } finally {
        layer.dispose();
      }
    }),

    defineConformanceCase(
      suite,
      'an expanded ball fires for the query that expanded it; the device copy follows edits',
      async (backend) => {
        const book = codebook();
        book.applyEdit({ query: [0, 0], label: 'a' }, { value: [1, 2, 3] });
        const layer = new GraceLayer(backend, book);
        const query = { data: [1.1, 0.3], shape: [1, 2] };
        const frozen = { data: [0, 0, 0], shape: [1, 3] };
        try {
          assertEqualInts(
            (await runLayer(backend, layer, query, frozen)).hits,
            [-1],
            'hit before the expansion',
          );
          const record = book.applyEdit({ query: query.data, label: 'a' }, { value: [4, 5, 6] });
          assertTrue(record.operation === 'EXPAND', `expected EXPAND, the codebook made ${record.operation}`);
          const after = await runLayer(backend, layer, query, frozen);
          assertEqualInts(after.hits, [0], 'hit after the expansion');
          assertClose(after.output, [4, 5, 6], tolerance, 'output after the expansion');
        } finally {
          layer.dispose();
        }
      },
    ),

    defineConformanceCase(suite, 'inference never changes the codebook', async (backend) => {
      const book = codebook();
      book.applyEdit({ query: [0, 0], label: 'a' });
      book.applyEdit({ query: [0.8, 0], label: 'b' });
      book.applyEdit({ query: [3, 3], label: 'a' });
      const before = book.snapshot();
      const version = book.version;
      const layer = new GraceLayer(backend, book);
      try {
        for (let round = 0; round < 10; round++) {
          const inputs = Array.from({ length: 8 }, (_, index) => ((index + round) % 7) * 0.5);
          await runLayer(
            backend,
            layer,
            { data: inputs, shape: [4, 2] },
            { data: new Float32Array(12), shape: [4, 3] },
          );
        }
      } finally {
        layer.dispose();
      }
      assertTrue(book.version === version, 'the codebook version moved during inference');
      assertBitsEqual(book.snapshot().keys, before.keys, 'keys');
      assertBitsEqual(book.snapshot().radii, before.radii, 'radii');
      assertBitsEqual(book.snapshot().values, before.values, 'values');
    }),

    defineConformanceCase(
      suite,
      'reads the query at the key token of each padded row: last, index, mean',
      async (backend) => {
        // Two rows of four 2-wide tokens; row 0 has 3 real tokens, row 1 has 4.
        const tokens = [1, 2, 3, 4, 5, 6, 99, 99, 10, 20, 30, 40, 50, 60, 70, 80];
        const expected: Array<[KeyToken, number[]]> = [
          ['last', [5, 6, 70, 80]],
          [{ index: 0 }, [1, 2, 10, 20]],
          [{ index: -2 }, [3, 4, 50, 60]],
          ['mean', [3, 4, 40, 50]],
        ];
        for (const [keyToken, query] of expected) {
          const layer = new GraceLayer(backend, codebook(), { keyToken });
          const scope = new TensorScope(backend);
          try {
            const read = await layer.readQueries(scope.float32(tokens, [2, 4, 2]), [3, 4]);
            assertClose(read, query, tolerance, `queries for keyToken ${JSON.stringify(keyToken)}`);
          } finally {
            scope.disposeAll();
            layer.dispose();
          }
        }
      },
    ),

    defineConformanceCase(
      suite,
      'replaces the tokens of a sequence by mode at each row’s key token',
      async (backend) => {
        const book = new Codebook({ keyDimension: 1, valueDimension: 1 });
        book.applyEdit({ query: [0], label: 'a' }, { value: [9] });
        // Row 0 (3 real tokens) ends on the key's query; row 1 (4 tokens) is far from it.
        const input = { data: [5, 5, 0, 0, 5, 5, 5, 5], shape: [2, 4, 1] };
        const frozen = { data: [1, 2, 3, 4, 5, 6, 7, 8], shape: [2, 4, 1] };
        const expected: Record<ReplacementMode, number[]> = {
          all: [9, 9, 9, 9, 5, 6, 7, 8],
          last: [1, 2, 9, 4, 5, 6, 7, 8],
          prompt: [9, 9, 3, 4, 5, 6, 7, 8],
          // A value of one vector: its span is the key token alone.
          span: [1, 2, 9, 4, 5, 6, 7, 8],
        };
        for (const replacement of replacementModes) {
          const layer = new GraceLayer(backend, book, { replacement });
          try {
            const run = await runLayer(backend, layer, input, frozen, [3, 4]);
            assertEqualInts(run.hits, [0, -1], `hits (${replacement})`);
            assertClose(run.output, expected[replacement], tolerance, `output (${replacement})`);
          } finally {
            layer.dispose();
          }
        }
      },
    ),

    defineConformanceCase(
      suite,
      'refuses inputs of the wrong width, empty batches and bad lengths',
      async (backend) => {
        const layer = new GraceLayer(backend, codebook());
        const scope = new TensorScope(backend);
        try {
          const output = scope.float32([0, 0, 0], [1, 3]);
          await assertThrowsGraceError(
            () => layer.forward({ layerInput: scope.float32([1, 2, 3], [1, 3]), layerOutput: output }),
            'SHAPE_MISMATCH',
            'a 3-wide input for a 2-wide codebook',
          );
          await assertThrowsGraceError(
            () =>
              layer.forward({
                layerInput: scope.float32([], [0, 2]),
                layerOutput: scope.float32([], [0, 3]),
              }),
            'EMPTY_BATCH',
            'an empty batch',
          );
          await assertThrowsGraceError(
            () => layer.readQueries(scope.float32([1, 2, 3, 4], [1, 2, 2]), [3]),
            'INVALID_ARGUMENT',
            'a row length beyond the sequence',
          );
        } finally {
          scope.disposeAll();
          layer.dispose();
        }
      },
    ),
  ];
}
