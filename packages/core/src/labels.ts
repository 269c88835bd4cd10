import { GraceError } from './errors.js';

/**
 * The label of an edit: a class id, a string, or a whole token-id sequence.
 *
 * Labels decide between SPLIT (a conflicting label near an existing key) and EXPAND (the same label), so they
 * compare by exact equality. The reference implementation compares the MEAN of token ids, which makes
 * different sequences with the same mean look equal; we deliberately do not copy that quirk.
 */
export type EditLabel = number | string | readonly number[];

/** Exact equality: same kind, and for sequences the same length and the same ids in order. */
export function labelsEqual(left: EditLabel, right: EditLabel): boolean {
  if (typeof left === 'number' || typeof left === 'string') return left === right;
  if (typeof right === 'number' || typeof right === 'string') return false;
  return left.length === right.length && left.every((id, position) => id === right[position]);
}

/** Refuses labels that cannot be stored or compared exactly (non-finite numbers, empty sequences). */
export function validateLabel(label: unknown): asserts label is EditLabel {
  const valid =
    (typeof label === 'number' && Number.isFinite(label)) ||
    typeof label === 'string' ||
    (Array.isArray(label) &&
      label.length > 0 &&
      label.every((id) => typeof id === 'number' && Number.isFinite(id)));
  if (!valid) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      'a label is a finite number, a string or a non-empty array of finite numbers',
      {
        label,
      },
    );
  }
}

/** A frozen copy, so that a caller mutating its array later cannot change a stored label. */
export function freezeLabel(label: EditLabel): EditLabel {
  return typeof label === 'object' ? Object.freeze([...label]) : label;
}
