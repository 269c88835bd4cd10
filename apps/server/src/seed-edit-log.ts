import { join } from 'node:path';
import type { EditLogEntry } from './edit-log-store.js';
import { emptyCodebook } from './replay-edit-log.js';
import { type ServedModel, servedDimensions } from './served-model.js';
import { SqliteEditLogStore } from './sqlite-edit-log-store.js';

/**
 * For benchmarks: writes `count` edits straight into `<directory>/<model>.edit-log.sqlite`, as the server
 * would have logged them (each decided by the codebook's own plan, values made up), so a server started on the
 * directory replays them. `queryOf` places the keys; far-apart queries make every edit an ADD. Returns the ids.
 */
export async function seedEditLog(
  directory: string,
  servedModel: ServedModel,
  count: number,
  queryOf: (index: number, keyDimension: number) => Float32Array,
): Promise<string[]> {
  const codebook = emptyCodebook(servedModel);
  const store = new SqliteEditLogStore(join(directory, `${servedModel.name}.edit-log.sqlite`));
  const { keyDimension, valueDimension, layerId } = servedDimensions(servedModel);
  await store.open({ model: servedModel.name, layerId, keyDimension, valueDimension });
  const entries: EditLogEntry[] = [];
  for (let index = 0; index < count; index++) {
    const query = queryOf(index, keyDimension);
    const value = Float32Array.from({ length: valueDimension }, (_, column) => ((index + column) % 7) / 7);
    const label = servedModel.labels[index % servedModel.labels.length] as string | number;
    const time = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, index)).toISOString();
    const record = codebook.applyEdit(
      { query, label, id: `edit-${index + 1}`, time: new Date(time) },
      { value },
    );
    entries.push({
      kind: 'edit',
      position: index + 1,
      time,
      edit: {
        editId: record.id,
        label,
        query,
        value,
        operation: record.operation,
        keyIndex: record.keyIndex,
        loss: [],
        input: null,
      },
    });
  }
  await store.append(entries);
  await store.close();
  return entries.map((entry) => (entry.kind === 'edit' ? entry.edit.editId : ''));
}
