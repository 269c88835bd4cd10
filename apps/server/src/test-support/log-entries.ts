import type { EditLogEntry } from '../edit-log-store.js';

/** The identity of the logs in the store tests. */
export const identity = { model: 'synthetic', layerId: 'layer0', keyDimension: 2, valueDimension: 3 };

/** An edit entry at `position` whose floats are not exactly representable in decimal. */
export function editEntry(position: number): EditLogEntry {
  return {
    kind: 'edit',
    position,
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, position)).toISOString(),
    edit: {
      editId: `edit-${position}`,
      label: 1,
      // Values that are not exactly representable in decimal, to prove the bytes survive.
      query: Float32Array.of(Math.fround(0.1), -Math.fround(1 / 3)),
      value: Float32Array.of(Math.fround(Math.PI), 1e-38, -0),
      operation: 'ADD',
      keyIndex: position - 1,
      loss: [0.7, 0.1, 1e-300],
      input: [0.1, -0.3333],
    },
  };
}
