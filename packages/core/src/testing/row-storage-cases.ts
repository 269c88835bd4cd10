import type { GraceBackend } from '../backend.js';
import { Codebook } from '../codebook.js';
import { DeviceCodebook } from '../device-codebook.js';
import { SeededRandom } from '../random.js';
import { hostRowStorageProvider, type RowStorage } from '../row-storage.js';
import type { Tensor } from '../tensor.js';
import { assertBitsEqual, assertThrowsGraceError, assertTrue } from './assertions.js';
import type { ConformanceCase } from './conformance-case.js';
import { defineConformanceCase } from './conformance-case.js';

const suite = 'rowStorage';
const keyWidth = 24;
const valueWidth = 5;

/**
 * Tensors big enough to make a backend allocate fresh memory (a WebAssembly memory then grows, detaching every
 * view of it made before): `step` grows them geometrically, 2^step × 64k floats, up to 2M.
 */
function pressure(backend: GraceBackend, step: number): Tensor {
  return backend.upload(new Float32Array(2 ** Math.min(step, 5) * 65_536), [2 ** Math.min(step, 5) * 65_536]);
}

/** The device copy's keys, values and radii must be the codebook's, bit for bit. */
async function assertDeviceMatches(
  backend: GraceBackend,
  device: DeviceCodebook,
  codebook: Codebook,
  what: string,
): Promise<void> {
  const current = device.current();
  const snapshot = codebook.snapshot();
  assertBitsEqual(await backend.download(current.keys), snapshot.keys, `${what}: keys`);
  assertBitsEqual(await backend.download(current.values), snapshot.values, `${what}: values`);
  assertBitsEqual(await backend.download(current.radii), snapshot.radii, `${what}: radii`);
}

/**
 * A backend may keep a codebook's rows in its own memory (`allocateRowStorage`) so that host and backend share
 * one copy. Its memory may move under JavaScript (a growing WebAssembly memory detaches old views), so these
 * cases edit, abort, roll back and read a codebook while the backend allocates more and more, and check that
 * nothing is lost: the device copy, the codebook's own views and entries, and the codebook after the device
 * copy is gone. A backend without the capability runs the same edits with the rows in JavaScript's heap.
 */
export function rowStorageCases(): ConformanceCase[] {
  return [
    defineConformanceCase(
      suite,
      'keeps a codebook exact through edits, aborts and a rollback while the backend allocates',
      async (backend) => {
        const random = new SeededRandom(29);
        const options = {
          keyDimension: keyWidth,
          valueDimension: valueWidth,
          layerId: 'stored',
          epsInit: 1.5,
        };
        const codebook = new Codebook({ ...options, expansion: 'moving_average' });
        const plain = new Codebook({ ...options, expansion: 'moving_average' });
        const device = new DeviceCodebook(backend, codebook);
        const held: Tensor[] = [];
        try {
          device.current();
          const stores = codebook.rowStores();
          const expected = backend.allocateRowStorage === undefined ? hostRowStorageProvider : backend;
          assertTrue(stores.keys.provider === expected, 'the rows live with the backend while its copy does');
          for (let edit = 0; edit < 40; edit++) {
            // Near earlier keys often, so that SPLIT, EXPAND (moving the key) and RETRAIN all happen.
            const base =
              edit > 0 && edit % 3 !== 0 ? codebook.entry(random.integer(0, codebook.size)).key : null;
            const query = Float32Array.from({ length: keyWidth }, (_, column) =>
              base === null ? random.uniform(-6, 6) : (base[column] as number) + random.normal() * 0.3,
            );
            const request = { query, label: random.integer(0, 3), id: `stored-${edit}` };
            const value = random.floats(valueWidth, -2, 2);
            if (edit % 9 === 4) {
              const pending = codebook.beginEdit(request);
              held.push(pressure(backend, edit));
              await assertDeviceMatches(backend, device, codebook, `during edit ${edit}`);
              pending.abort();
            } else {
              codebook.applyEdit(request, { value });
              plain.applyEdit(request, { value });
            }
            if (edit % 5 === 0) held.push(pressure(backend, edit / 5));
            await assertDeviceMatches(backend, device, codebook, `after edit ${edit}`);
            const probe = random.integer(0, codebook.size);
            assertBitsEqual(
              codebook.entry(probe).key,
              plain.entry(probe).key,
              `entry ${probe} after edit ${edit}`,
            );
          }
          assertBitsEqual(codebook.keysView().slice(), plain.keysView().slice(), 'keys after the edits');
          codebook.rollback('stored-7');
          plain.rollback('stored-7');
          held.push(pressure(backend, 6));
          await assertDeviceMatches(backend, device, codebook, 'after a rollback');
          if (backend.allocateRowStorage !== undefined) {
            const raw = codebook.size * keyWidth * 4;
            assertTrue(
              device.backendBytes < raw,
              `the backend holds ${device.backendBytes} bytes beside rows it stores (${raw} bytes of keys)`,
            );
          }
        } finally {
          device.dispose();
          for (const tensor of held) backend.dispose(tensor);
        }
        assertTrue(
          codebook.rowStores().keys.provider === hostRowStorageProvider,
          'the rows return to JavaScript when the device copy is disposed',
        );
        const [left, right] = [codebook.snapshot(), plain.snapshot()];
        assertBitsEqual(left.keys, right.keys, 'keys after dispose');
        assertBitsEqual(left.values, right.values, 'values after dispose');
        assertBitsEqual(left.radii, right.radii, 'radii after dispose');
      },
    ),
    defineConformanceCase(
      suite,
      'a storage keeps its floats while the backend allocates; a mirror keeps them past their disposal',
      async (backend) => {
        if (backend.allocateRowStorage === undefined) return;
        await assertThrowsGraceError(() => backend.allocateRowStorage?.(-1), 'INVALID_ARGUMENT', 'floats -1');
        await assertThrowsGraceError(
          () => backend.allocateRowStorage?.(1.5),
          'INVALID_ARGUMENT',
          'floats 1.5',
        );
        const random = new SeededRandom(31);
        const rows = 37;
        const storage: RowStorage = backend.allocateRowStorage(rows * keyWidth + keyWidth);
        const mirror = backend.createRowMirror([keyWidth]);
        const held: Tensor[] = [];
        try {
          assertTrue(storage.length === rows * keyWidth + keyWidth, 'length is the float count asked for');
          assertTrue(
            storage.floats().every((value) => value === 0),
            'a new storage is zeroed',
          );
          const contents = random.floats(rows * keyWidth, -3, 3);
          storage.floats().set(contents);
          for (let step = 0; step < 4; step++) held.push(pressure(backend, step + 3));
          assertBitsEqual(storage.floats().slice(0, rows * keyWidth), contents, 'after allocations');
          mirror.sync(storage.floats().subarray(0, rows * keyWidth), 'all');
          const tensor = mirror.tensor();
          storage.dispose();
          storage.dispose();
          await assertThrowsGraceError(() => storage.floats(), 'DISPOSED_TENSOR', 'floats after dispose');
          for (let step = 0; step < 3; step++) held.push(pressure(backend, step + 4));
          assertBitsEqual(
            await backend.download(tensor),
            contents,
            "the mirror's tensor after the storage's dispose",
          );
        } finally {
          mirror.dispose();
          storage.dispose();
          for (const tensor of held) backend.dispose(tensor);
        }
      },
    ),
  ];
}
