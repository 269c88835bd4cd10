import type { GraceBackend } from '../backend.js';
import { GrowableRows } from '../growable-rows.js';
import { SeededRandom } from '../random.js';
import type { RowMirror } from '../row-mirror.js';
import {
  assertBitsEqual,
  assertEqualInts,
  assertTensorLayout,
  assertThrowsGraceError,
  assertTrue,
} from './assertions.js';
import type { ConformanceCase } from './conformance-case.js';
import { defineConformanceCase } from './conformance-case.js';

const suite = 'rowMirror';

/** Runs `body` with a fresh mirror and disposes it afterwards, whatever happens. */
async function withMirror(
  backend: GraceBackend,
  rowShape: readonly number[],
  body: (mirror: RowMirror) => Promise<void>,
): Promise<void> {
  const mirror = backend.createRowMirror(rowShape);
  try {
    await body(mirror);
  } finally {
    mirror.dispose();
  }
}

/** The mirror's tensor must hold exactly the host's rows, bit for bit, in the `[rows, ...rowShape]` layout. */
async function assertMirrors(
  backend: GraceBackend,
  mirror: RowMirror,
  host: GrowableRows,
  rowShape: readonly number[],
  what: string,
): Promise<void> {
  assertTrue(mirror.rows === host.rows, `${what}: rows is ${mirror.rows}, expected ${host.rows}`);
  const tensor = mirror.tensor();
  assertTensorLayout(tensor, [host.rows, ...rowShape], 'float32', what);
  assertBitsEqual(await backend.download(tensor), host.view().slice(), what);
}

/**
 * The backend's copy of a growing codebook matrix. Only the rows an edit wrote travel to the backend, so a
 * mirror must get every reported row right through appends past its spare capacity, changes, removals of the
 * last rows (an aborted edit) and a full resync (a rollback); copies are exact, whatever the tolerance.
 */
export function rowMirrorCases(): ConformanceCase[] {
  return [
    defineConformanceCase(suite, 'follows appends past its capacity, changed rows and removals', (backend) =>
      withMirror(backend, [3], async (mirror) => {
        const random = new SeededRandom(41);
        const host = new GrowableRows(3, 2);
        mirror.sync(host.view(), []);
        await assertMirrors(backend, mirror, host, [3], 'empty');
        for (let row = 0; row < 70; row++) {
          const revision = host.revision;
          host.append(random.floats(3, -4, 4));
          mirror.sync(host.view(), host.rowsWrittenSince(revision) ?? 'all');
          if (row % 9 === 0) await assertMirrors(backend, mirror, host, [3], `after append ${row}`);
        }
        await assertMirrors(backend, mirror, host, [3], 'after 70 appends');
        // Several changes reported at once, with duplicates and a row past the end: only the rows count.
        host.write(17, [-0, 1.5, 2.25]);
        host.write(0, [7, 8, 9]);
        mirror.sync(host.view(), [17, 0, 17, 500]);
        await assertMirrors(backend, mirror, host, [3], 'after changing rows 0 and 17');
        // An aborted edit: the last rows go, then a new row takes the place of one of them.
        host.removeLast();
        host.removeLast();
        mirror.sync(host.view(), []);
        await assertMirrors(backend, mirror, host, [3], 'after removing two rows');
        const revision = host.revision;
        host.append([10, 11, 12]);
        host.write(3, [-1, -2, -3]);
        mirror.sync(host.view(), host.rowsWrittenSince(revision) ?? 'all');
        await assertMirrors(backend, mirror, host, [3], 'after an append and a change together');
      }),
    ),
    defineConformanceCase(suite, "'all' copies every row; scalar rows give a [rows] tensor", (backend) =>
      withMirror(backend, [], async (mirror) => {
        const host = new GrowableRows(1);
        for (const radius of [0.5, 1, 2, 3]) host.append([radius]);
        mirror.sync(host.view(), []);
        await assertMirrors(backend, mirror, host, [], 'first sync');
        const replaced = new GrowableRows(1);
        for (const radius of [9, 8, 7]) replaced.append([radius]);
        mirror.sync(replaced.view(), 'all');
        await assertMirrors(backend, mirror, replaced, [], "after 'all'");
      }),
    ),
    defineConformanceCase(suite, 'its tensors feed lookup like uploaded ones', (backend) =>
      withMirror(backend, [2], (keyMirror) =>
        withMirror(backend, [], (radiusMirror) =>
          withMirror(backend, [2], async (valueMirror) => {
            const keys = new GrowableRows(2);
            const radii = new GrowableRows(1);
            const values = new GrowableRows(2);
            for (const mirror of [keyMirror, radiusMirror, valueMirror]) mirror.sync(new Float32Array(0), []);
            for (let key = 0; key < 20; key++) {
              keys.append([key * 10, 0]);
              radii.append([1]);
              values.append([key, -key]);
            }
            radii.write(4, [0]);
            keyMirror.sync(keys.view(), []);
            radiusMirror.sync(radii.view(), [4]);
            valueMirror.sync(values.view(), []);
            const queries = backend.upload(new Float32Array([190.5, 0, 40.5, 0, 56, 0]), [3, 2]);
            const layerOutput = backend.upload(new Float32Array(6).fill(3), [3, 2]);
            const result = backend.lookup({
              queries,
              keys: keyMirror.tensor(),
              radii: radiusMirror.tensor(),
              values: valueMirror.tensor(),
              layerOutput,
              mode: 'all',
            });
            try {
              // Key 19 fires; key 4's radius was set to 0 so 0.5 away defers; 5 away from every key defers.
              assertEqualInts(await backend.download(result.hitIndex), [19, -1, -1], 'hitIndex');
              assertBitsEqual(
                await backend.download(result.output),
                new Float32Array([19, -19, 3, 3, 3, 3]),
                'output',
              );
            } finally {
              for (const tensor of [queries, layerOutput, result.output, result.hitIndex])
                backend.dispose(tensor);
            }
          }),
        ),
      ),
    ),
    defineConformanceCase(suite, 'bad arguments are typed errors and change nothing', async (backend) => {
      for (const rowShape of [[0], [2.5], [-1]]) {
        await assertThrowsGraceError(
          () => backend.createRowMirror(rowShape).dispose(),
          'INVALID_ARGUMENT',
          `row shape [${rowShape}]`,
        );
      }
      await withMirror(backend, [2], async (mirror) => {
        const host = new GrowableRows(2);
        host.append([1, 2]);
        host.append([3, 4]);
        mirror.sync(host.view(), []);
        await assertThrowsGraceError(
          () => mirror.sync(new Float32Array(3), []),
          'SHAPE_MISMATCH',
          'length 3',
        );
        await assertThrowsGraceError(() => mirror.sync(host.view(), [-1]), 'INVALID_ARGUMENT', 'row -1');
        await assertThrowsGraceError(
          () => mirror.sync(new Int32Array(4) as unknown as Float32Array, 'all'),
          'DTYPE_MISMATCH',
          'an Int32Array',
        );
        await assertMirrors(backend, mirror, host, [2], 'after the refused syncs');
      });
      const disposed = backend.createRowMirror([2]);
      disposed.dispose();
      await assertThrowsGraceError(
        () => disposed.sync(new Float32Array(2), []),
        'DISPOSED_TENSOR',
        'disposed',
      );
    }),
  ];
}
