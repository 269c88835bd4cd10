import { GraceError } from './errors.js';

/** Element types a backend stores. Activations, keys, values and radii are float32; indices are int32. */
export type DType = 'float32' | 'int32';

/** A tensor's dimensions, outermost first, e.g. `[B, Dk]` for a batch of queries. */
export type Shape = readonly number[];

/** The host array type of each dtype. */
export interface TensorDataOf {
  float32: Float32Array;
  int32: Int32Array;
}

/** Host data of either dtype. */
export type TensorData = TensorDataOf[DType];

/**
 * An opaque handle to data owned by a backend (host memory, a WebGPU buffer, a tfjs tensor).
 *
 * Core never reads the data behind a handle; it only passes handles back to the backend that made them and
 * reads them with `download`. Shape and dtype are public so that arguments can be validated on the host
 * before any device work is queued.
 */
export interface Tensor<D extends DType = DType> {
  readonly shape: Shape;
  readonly dtype: D;
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function shapeSize(shape: Shape): number {
  let size = 1;
  for (const dimension of shape) size *= dimension;
  return size;
}

/** Formats a shape as `[2,3]` for error messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** True when two shapes have the same rank and dimensions. */
export function shapesEqual(left: Shape, right: Shape): boolean {
  return left.length === right.length && left.every((dimension, axis) => dimension === right[axis]);
}

/**
 * Checks that `shape` is a list of non-negative integers and that `data` holds exactly its element count;
 * every backend's `upload` calls this so a bad upload fails the same way everywhere.
 */
export function validateUpload(data: TensorData, shape: Shape): void {
  if (!(data instanceof Float32Array) && !(data instanceof Int32Array)) {
    throw new GraceError('DTYPE_MISMATCH', 'upload takes a Float32Array or an Int32Array', {
      received: Object.prototype.toString.call(data),
    });
  }
  for (const dimension of shape) {
    if (!Number.isInteger(dimension) || dimension < 0) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `shape ${formatShape(shape)} has a dimension that is not a natural number`,
        {
          shape,
        },
      );
    }
  }
  if (shapeSize(shape) !== data.length) {
    throw new GraceError(
      'SHAPE_MISMATCH',
      `shape ${formatShape(shape)} holds ${shapeSize(shape)} elements but the data has ${data.length}`,
      { shape, length: data.length },
    );
  }
}

/** The dtype of host data. */
export function dtypeOf(data: TensorData): DType {
  return data instanceof Int32Array ? 'int32' : 'float32';
}
