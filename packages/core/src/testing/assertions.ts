import { type GraceError, type GraceErrorCode, isGraceError } from '../errors.js';
import { formatShape, type Shape, shapesEqual, type Tensor } from '../tensor.js';

/**
 * A backend gave a wrong answer. A distinct class, so a runner can tell "the backend is wrong" from "the
 * case itself crashed", and independent of any test framework, so the cases run anywhere.
 */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

/** Throws a {@link ConformanceFailure}; typed `never` so that it narrows like `throw`. */
export function fail(message: string): never {
  throw new ConformanceFailure(message);
}

/** Throws unless `condition` holds; for the checks that are not about arrays. */
export function assertTrue(condition: boolean, message: string): asserts condition {
  if (!condition) fail(message);
}

/**
 * The allowed error around `expected`: relative above magnitude 1, absolute below (see
 * `ConformanceOptions.tolerance`).
 */
export function toleranceBand(expected: number, tolerance: number): number {
  return tolerance * Math.max(1, Math.abs(expected));
}

/** True when `actual` is within tolerance of `expected`; NaN matches NaN and an infinity only itself. */
export function withinTolerance(actual: number, expected: number, tolerance: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= toleranceBand(expected, tolerance);
}

function assertSameLength(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  if (actual.length !== expected.length) {
    fail(`${what}: expected ${expected.length} elements, got ${actual.length}`);
  }
}

/** Element-wise float comparison; the message names the first wrong flat index, both values and the band. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what: string,
): void {
  assertSameLength(actual, expected, what);
  for (let index = 0; index < expected.length; index++) {
    const actualValue = actual[index];
    const expectedValue = expected[index];
    if (!withinTolerance(actualValue, expectedValue, tolerance)) {
      fail(
        `${what}[${index}]: expected ${expectedValue} (± ${toleranceBand(expectedValue, tolerance)}), ` +
          `got ${actualValue}`,
      );
    }
  }
}

/** Exact comparison for indices and other integers. */
export function assertEqualInts(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assertSameLength(actual, expected, what);
  for (let index = 0; index < expected.length; index++) {
    if (actual[index] !== expected[index]) {
      fail(`${what}[${index}]: expected ${expected[index]}, got ${actual[index]}`);
    }
  }
}

function hexBits(bits: number): string {
  return `0x${bits.toString(16).padStart(8, '0')}`;
}

/**
 * Compares float32 bit patterns, for results the spec says are copies: unlike `===`, it tells -0 from 0
 * and one NaN payload from another, which is what "copied bit for bit" means.
 */
export function assertBitsEqual(actual: Float32Array, expected: Float32Array, what: string): void {
  assertSameLength(actual, expected, what);
  const actualBits = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const expectedBits = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let index = 0; index < expectedBits.length; index++) {
    const actualWord = actualBits[index];
    const expectedWord = expectedBits[index];
    if (actualWord !== expectedWord) {
      fail(
        `${what}[${index}]: expected bits ${hexBits(expectedWord)} (${expected[index]}), ` +
          `got ${hexBits(actualWord)} (${actual[index]})`,
      );
    }
  }
}

/** Checks a tensor handle's public shape and dtype, which callers validate arguments with. */
export function assertTensorLayout(tensor: Tensor, shape: Shape, dtype: Tensor['dtype'], what: string): void {
  if (!shapesEqual(tensor.shape, shape)) {
    fail(`${what}: expected shape ${formatShape(shape)}, got ${formatShape(tensor.shape)}`);
  }
  if (tensor.dtype !== dtype) fail(`${what}: expected dtype ${dtype}, got ${tensor.dtype}`);
}

/**
 * Runs `action` (sync or async) and requires it to fail with a {@link GraceError} of `code`; errors are part
 * of the API, so a backend that fails for the wrong reason, or with a plain `Error`, does not conform.
 * Returns the error so a case can check its details.
 */
export async function assertThrowsGraceError(
  action: () => unknown,
  code: GraceErrorCode,
  what: string,
): Promise<GraceError> {
  let thrown: unknown;
  let threw = false;
  try {
    await action();
  } catch (error) {
    thrown = error;
    threw = true;
  }
  if (!threw) fail(`${what}: expected GraceError ${code}, but nothing was thrown`);
  if (isGraceError(thrown, code)) return thrown;
  if (isGraceError(thrown))
    fail(`${what}: expected GraceError ${code}, got ${thrown.code}: ${thrown.message}`);
  const named = thrown as { name?: unknown; code?: unknown; message?: unknown };
  if (named?.name === 'GraceError') {
    fail(
      `${what}: expected GraceError ${code}, got a GraceError (${String(named.code)}) from another copy of ` +
        '@grace/core; the backend must use the same @grace/core as its callers (it is a peer dependency)',
    );
  }
  fail(`${what}: expected GraceError ${code}, got ${String(named?.message ?? thrown)}`);
}
