import type { GraceBackend } from '../backend.js';
import { GrowableRows } from '../growable-rows.js';
import { SeededRandom } from '../random.js';
import type { RowMirror } from '../row-mirror.js';
import type { Tensor } from '../tensor.js';
import { assertBitsEqual, assertEqualInts } from './assertions.js';
import type { ConformanceCase } from './conformance-case.js';
import { defineConformanceCase } from './conformance-case.js';

const suite = 'rowMirror';
const keyWidth = 6;
const valueWidth = 3;
const batch = 12;

/** A codebook's three row stores and the mirrors that follow them. */
interface MirroredCodebook {
  readonly keys: GrowableRows;
  readonly values: GrowableRows;
  readonly radii: GrowableRows;
  readonly mirrors: { keys: RowMirror; values: RowMirror; radii: RowMirror };
}

/** Reports every row written since `revisions` to its mirror, as a codebook's device copy does. */
function syncAll(
  codebook: MirroredCodebook,
  revisions: { keys: number; values: number; radii: number },
): void {
  for (const name of ['keys', 'values', 'radii'] as const) {
    const store = codebook[name];
    codebook.mirrors[name].sync(store.view(), store.rowsWrittenSince(revisions[name]) ?? 'all');
    revisions[name] = store.revision;
  }
}

/** Queries at, near and between the keys (exact hits, near misses, far away). */
function queriesNear(keys: GrowableRows, random: SeededRandom): Float32Array {
  const queries = new Float32Array(batch * keyWidth);
  for (let row = 0; row < batch; row++) {
    // Row 0 asks for the newest key, which the last append or rewrite wrote.
    const key = row === 0 ? keys.rows - 1 : random.integer(0, keys.rows);
    const spread = [0, 0.05, 0.3, 2, 30][row % 5] as number;
    const source = keys.row(key);
    for (let column = 0; column < keyWidth; column++) {
      queries[row * keyWidth + column] = (source[column] as number) + random.normal() * spread;
    }
  }
  return queries;
}

/**
 * Compares the lookup over the mirrors' tensors with the lookup over a fresh upload of the same rows: the
 * same hits and the same output, bit for bit.
 */
async function assertSameAsFreshUpload(
  backend: GraceBackend,
  codebook: MirroredCodebook,
  random: SeededRandom,
  what: string,
): Promise<void> {
  const owned: Tensor[] = [];
  const upload = (data: Float32Array, shape: number[]): Tensor<'float32'> => {
    const tensor = backend.upload(data.slice(), shape);
    owned.push(tensor);
    return tensor;
  };
  try {
    const queries = upload(queriesNear(codebook.keys, random), [batch, keyWidth]);
    const layerOutput = upload(random.floats(batch * valueWidth, -1, 1), [batch, valueWidth]);
    const rows = codebook.keys.rows;
    const fresh = backend.lookup({
      queries,
      keys: upload(codebook.keys.view(), [rows, keyWidth]),
      radii: upload(codebook.radii.view(), [rows]),
      values: upload(codebook.values.view(), [rows, valueWidth]),
      layerOutput,
      mode: 'all',
    });
    owned.push(fresh.output, fresh.hitIndex);
    const mirrored = backend.lookup({
      queries,
      keys: codebook.mirrors.keys.tensor(),
      radii: codebook.mirrors.radii.tensor(),
      values: codebook.mirrors.values.tensor(),
      layerOutput,
      mode: 'all',
    });
    owned.push(mirrored.output, mirrored.hitIndex);
    const expectedHits = await backend.download(fresh.hitIndex);
    assertEqualInts(await backend.download(mirrored.hitIndex), expectedHits, `${what}: hitIndex`);
    assertBitsEqual(
      await backend.download(mirrored.output),
      await backend.download(fresh.output),
      `${what}: output`,
    );
    // Some queries sit on keys: a case where nothing fires would not test the values' rows.
    if (!Array.from(expectedHits).some((hit) => hit >= 0)) throw new Error(`${what}: no query hit a key`);
  } finally {
    for (const tensor of owned) backend.dispose(tensor);
  }
}

/**
 * A mirror that kernels have searched keeps following the host in place: what a backend keeps for its search
 * (norms, host rows, anything it derived from the first search) must follow appends past its capacity many
 * times over, rewritten keys, radii and values, dropped rows (an aborted edit) and a full resync (a rollback),
 * so that every lookup gives exactly what a fresh upload of the same rows gives.
 */
export function searchedMirrorCases(): ConformanceCase[] {
  return [
    defineConformanceCase(
      suite,
      'after searches, in-place updates give the lookups of a fresh upload',
      async (backend) => {
        const created: RowMirror[] = [];
        try {
          for (const rowShape of [[keyWidth], [valueWidth], []])
            created.push(backend.createRowMirror(rowShape));
          const [keyMirror, valueMirror, radiusMirror] = created as [RowMirror, RowMirror, RowMirror];
          const random = new SeededRandom(303);
          let codebook: MirroredCodebook = {
            keys: new GrowableRows(keyWidth, 2),
            values: new GrowableRows(valueWidth, 2),
            radii: new GrowableRows(1, 2),
            mirrors: { keys: keyMirror, values: valueMirror, radii: radiusMirror },
          };
          const revisions = { keys: 0, values: 0, radii: 0 };
          const append = (): void => {
            codebook.keys.append(random.floats(keyWidth, -20, 20));
            codebook.values.append(random.floats(valueWidth, -5, 5));
            codebook.radii.append([random.uniform(0.1, 1)]);
          };
          append();
          syncAll(codebook, revisions);
          await assertSameAsFreshUpload(backend, codebook, random, 'one key');
          // Appends one by one, each synced and searched, through several growths of any spare capacity.
          for (let key = 1; key < 150; key++) {
            append();
            syncAll(codebook, revisions);
            if (key % 7 === 0)
              await assertSameAsFreshUpload(backend, codebook, random, `after append ${key}`);
          }
          // Rewrites: a key moved (moving_average EXPAND), a radius grown, a value retrained.
          for (let round = 0; round < 6; round++) {
            const row = random.integer(0, codebook.keys.rows);
            codebook.keys.write(row, random.floats(keyWidth, -20, 20));
            codebook.radii.write(random.integer(0, codebook.radii.rows), [random.uniform(0.5, 2)]);
            codebook.values.write(random.integer(0, codebook.values.rows), random.floats(valueWidth, -5, 5));
            syncAll(codebook, revisions);
            await assertSameAsFreshUpload(backend, codebook, random, `after rewrite ${round}`);
          }
          // An aborted edit drops the last row; the next edit appends another in its place.
          for (const store of [codebook.keys, codebook.values, codebook.radii]) store.removeLast();
          syncAll(codebook, revisions);
          await assertSameAsFreshUpload(backend, codebook, random, 'after a dropped row');
          append();
          syncAll(codebook, revisions);
          await assertSameAsFreshUpload(backend, codebook, random, 'after an append in its place');
          // A rollback: new stores (fewer rows), which the mirrors copy whole.
          const replaced: MirroredCodebook = {
            keys: new GrowableRows(keyWidth),
            values: new GrowableRows(valueWidth),
            radii: new GrowableRows(1),
            mirrors: codebook.mirrors,
          };
          for (let row = 0; row < 90; row++) {
            replaced.keys.append(codebook.keys.row(row));
            replaced.values.append(codebook.values.row(row));
            replaced.radii.append(codebook.radii.row(row));
          }
          codebook = replaced;
          for (const name of ['keys', 'values', 'radii'] as const) {
            codebook.mirrors[name].sync(codebook[name].view(), 'all');
            revisions[name] = codebook[name].revision;
          }
          await assertSameAsFreshUpload(backend, codebook, random, 'after a full resync');
          for (let key = 0; key < 40; key++) append();
          syncAll(codebook, revisions);
          await assertSameAsFreshUpload(backend, codebook, random, 'after 40 appends at once');
        } finally {
          for (const mirror of created) mirror.dispose();
        }
      },
    ),
  ];
}
