import type { AdamStepArguments, GraceBackend, LookupArguments } from '../backend.js';
import type { GraceErrorCode } from '../errors.js';
import type { Shape, Tensor } from '../tensor.js';
import { assertThrowsGraceError } from './assertions.js';
import type { ConformanceCase } from './conformance-case.js';
import { foreignTensor } from './tensor-cases.js';
import { defineScopedCase, type TensorScope } from './tensor-scope.js';

const suite = 'argument errors';

/** One bad call and the code it must fail with. */
interface BadCall {
  readonly kernel: string;
  readonly name: string;
  readonly code: GraceErrorCode;
  readonly call: (scope: TensorScope) => unknown;
}

function zeros(scope: TensorScope, shape: Shape): Tensor<'float32'> {
  return scope.float32(new Float32Array(shape.reduce((size, dimension) => size * dimension, 1)), shape);
}

function intZeros(scope: TensorScope, shape: Shape): Tensor<'int32'> {
  return scope.int32(new Int32Array(shape.reduce((size, dimension) => size * dimension, 1)), shape);
}

/** A tensor that was uploaded and then disposed. */
function disposed(scope: TensorScope, shape: Shape): Tensor<'float32'> {
  const tensor = zeros(scope, shape);
  scope.backend.dispose(tensor);
  return tensor;
}

/** Bad calls shared by the two token kernels, which take the same layouts. */
function tokenKernelCalls(
  kernel: 'gatherTokens' | 'meanTokens',
  run: (backend: GraceBackend, input: Tensor<'float32'>, perRow: Tensor<'int32'>) => unknown,
): BadCall[] {
  const ones = (scope: TensorScope, count: number): Tensor<'int32'> =>
    scope.int32(new Int32Array(count).fill(1), [count]);
  const call = (
    name: string,
    code: GraceErrorCode,
    make: (scope: TensorScope) => [Tensor<'float32'>, Tensor<'int32'>],
  ): BadCall => ({
    kernel,
    name,
    code,
    call: (scope) => run(scope.backend, ...make(scope)),
  });
  return [
    call('input [B, D] instead of [B, T, D]', 'SHAPE_MISMATCH', (scope) => [
      zeros(scope, [2, 3]),
      ones(scope, 2),
    ]),
    call('one entry too many per row', 'SHAPE_MISMATCH', (scope) => [
      zeros(scope, [2, 3, 2]),
      ones(scope, 3),
    ]),
    call('per-row tensor [B, 1]', 'SHAPE_MISMATCH', (scope) => [
      zeros(scope, [2, 3, 2]),
      scope.int32([1, 1], [2, 1]),
    ]),
    call('no rows', 'EMPTY_BATCH', (scope) => [zeros(scope, [0, 3, 2]), ones(scope, 0)]),
    call('no tokens', 'EMPTY_BATCH', (scope) => [zeros(scope, [2, 0, 2]), ones(scope, 2)]),
    call('int32 input', 'DTYPE_MISMATCH', (scope) => [
      intZeros(scope, [2, 3, 2]) as unknown as Tensor<'float32'>,
      ones(scope, 2),
    ]),
    call('float32 per-row tensor', 'DTYPE_MISMATCH', (scope) => [
      zeros(scope, [2, 3, 2]),
      scope.float32([1, 1], [2]) as unknown as Tensor<'int32'>,
    ]),
    call('disposed input', 'DISPOSED_TENSOR', (scope) => [disposed(scope, [2, 3, 2]), ones(scope, 2)]),
    call('foreign input', 'FOREIGN_TENSOR', (scope) => [foreignTensor([2, 3, 2], 'float32'), ones(scope, 2)]),
  ];
}

function nearestKeyCalls(): BadCall[] {
  const call = (
    name: string,
    code: GraceErrorCode,
    make: (scope: TensorScope) => [Tensor<'float32'>, Tensor<'float32'>],
  ): BadCall => ({
    kernel: 'nearestKey',
    name,
    code,
    call: (scope) => scope.backend.nearestKey(...make(scope)),
  });
  return [
    call('keys of another width', 'SHAPE_MISMATCH', (scope) => [zeros(scope, [2, 3]), zeros(scope, [4, 2])]),
    call('queries [Dk] instead of [B, Dk]', 'SHAPE_MISMATCH', (scope) => [
      zeros(scope, [3]),
      zeros(scope, [4, 3]),
    ]),
    call('keys [1, N, Dk]', 'SHAPE_MISMATCH', (scope) => [zeros(scope, [2, 3]), zeros(scope, [1, 4, 3])]),
    call('no queries', 'EMPTY_BATCH', (scope) => [zeros(scope, [0, 3]), zeros(scope, [4, 3])]),
    call('int32 keys', 'DTYPE_MISMATCH', (scope) => [
      zeros(scope, [2, 3]),
      intZeros(scope, [4, 3]) as unknown as Tensor<'float32'>,
    ]),
    call('disposed keys', 'DISPOSED_TENSOR', (scope) => [zeros(scope, [2, 3]), disposed(scope, [4, 3])]),
    call('foreign queries', 'FOREIGN_TENSOR', (scope) => [
      foreignTensor([2, 3], 'float32'),
      zeros(scope, [4, 3]),
    ]),
  ];
}

/** A valid sequence lookup (B = 2, T = 3, N = 4, Dk = 3, Dv = 5) with some arguments replaced. */
function lookupCall(
  name: string,
  code: GraceErrorCode,
  change: (scope: TensorScope) => Partial<LookupArguments>,
): BadCall {
  return {
    kernel: 'lookup',
    name,
    code,
    call: (scope) =>
      scope.backend.lookup({
        queries: zeros(scope, [2, 3]),
        keys: zeros(scope, [4, 3]),
        radii: zeros(scope, [4]),
        values: zeros(scope, [4, 5]),
        layerOutput: zeros(scope, [2, 3, 5]),
        keyPositions: scope.int32([0, 2], [2]),
        mode: 'last',
        ...change(scope),
      }),
  };
}

function lookupCalls(): BadCall[] {
  return [
    lookupCall('keys of another width', 'SHAPE_MISMATCH', (scope) => ({ keys: zeros(scope, [4, 2]) })),
    lookupCall('one radius too many', 'SHAPE_MISMATCH', (scope) => ({ radii: zeros(scope, [5]) })),
    lookupCall('values for another key count', 'SHAPE_MISMATCH', (scope) => ({
      values: zeros(scope, [3, 5]),
    })),
    lookupCall('values of another width', 'SHAPE_MISMATCH', (scope) => ({ values: zeros(scope, [4, 6]) })),
    lookupCall('values twice as wide, mode last', 'SHAPE_MISMATCH', (scope) => ({
      values: zeros(scope, [4, 10]),
    })),
    lookupCall('span values that are not S·Dv wide', 'SHAPE_MISMATCH', (scope) => ({
      values: zeros(scope, [4, 12]),
      mode: 'span',
    })),
    lookupCall('span values of two vectors on a non-sequence output', 'SHAPE_MISMATCH', (scope) => ({
      values: zeros(scope, [4, 10]),
      layerOutput: zeros(scope, [2, 5]),
      keyPositions: undefined,
      mode: 'span',
    })),
    lookupCall('layerOutput of another batch', 'SHAPE_MISMATCH', (scope) => ({
      layerOutput: zeros(scope, [3, 3, 5]),
    })),
    lookupCall('layerOutput [B, T, 1, Dv]', 'SHAPE_MISMATCH', (scope) => ({
      layerOutput: zeros(scope, [2, 3, 1, 5]),
    })),
    lookupCall('keyPositions for another batch', 'SHAPE_MISMATCH', (scope) => ({
      keyPositions: scope.int32([0], [1]),
    })),
    lookupCall('no queries', 'EMPTY_BATCH', (scope) => ({
      queries: zeros(scope, [0, 3]),
      layerOutput: zeros(scope, [0, 3, 5]),
      keyPositions: scope.int32([], [0]),
    })),
    lookupCall('int32 radii', 'DTYPE_MISMATCH', (scope) => ({
      radii: intZeros(scope, [4]) as unknown as Tensor<'float32'>,
    })),
    lookupCall('float32 keyPositions', 'DTYPE_MISMATCH', (scope) => ({
      keyPositions: zeros(scope, [2]) as unknown as Tensor<'int32'>,
    })),
    lookupCall('a sequence output without keyPositions', 'INVALID_ARGUMENT', () => ({
      keyPositions: undefined,
    })),
    lookupCall('an unknown replacement mode', 'INVALID_ARGUMENT', () => ({
      mode: 'first' as unknown as LookupArguments['mode'],
    })),
    lookupCall('disposed values', 'DISPOSED_TENSOR', (scope) => ({ values: disposed(scope, [4, 5]) })),
    lookupCall('foreign radii', 'FOREIGN_TENSOR', () => ({ radii: foreignTensor([4], 'float32') })),
  ];
}

/** A valid Adam step on `[2, 3]` with some arguments replaced. */
function adamCall(
  name: string,
  code: GraceErrorCode,
  change: (scope: TensorScope) => Partial<AdamStepArguments>,
): BadCall {
  return {
    kernel: 'adamStep',
    name,
    code,
    call: (scope) =>
      scope.backend.adamStep({
        parameter: zeros(scope, [2, 3]),
        gradient: zeros(scope, [2, 3]),
        firstMoment: zeros(scope, [2, 3]),
        secondMoment: zeros(scope, [2, 3]),
        step: 1,
        hyperparameters: { learningRate: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
        ...change(scope),
      }),
  };
}

function adamCalls(): BadCall[] {
  const hyper = (change: object) => ({
    hyperparameters: { learningRate: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...change },
  });
  return [
    adamCall('gradient of another shape', 'SHAPE_MISMATCH', (scope) => ({ gradient: zeros(scope, [3, 2]) })),
    adamCall('int32 first moment', 'DTYPE_MISMATCH', (scope) => ({
      firstMoment: intZeros(scope, [2, 3]) as unknown as Tensor<'float32'>,
    })),
    adamCall('step 0', 'INVALID_ARGUMENT', () => ({ step: 0 })),
    adamCall('step 1.5', 'INVALID_ARGUMENT', () => ({ step: 1.5 })),
    adamCall('learning rate NaN', 'INVALID_ARGUMENT', () => hyper({ learningRate: Number.NaN })),
    adamCall('beta1 = 1', 'INVALID_ARGUMENT', () => hyper({ beta1: 1 })),
    adamCall('beta2 < 0', 'INVALID_ARGUMENT', () => hyper({ beta2: -0.1 })),
    adamCall('epsilon 0', 'INVALID_ARGUMENT', () => hyper({ epsilon: 0 })),
    adamCall('disposed second moment', 'DISPOSED_TENSOR', (scope) => ({
      secondMoment: disposed(scope, [2, 3]),
    })),
    adamCall('foreign gradient', 'FOREIGN_TENSOR', () => ({ gradient: foreignTensor([2, 3], 'float32') })),
  ];
}

/**
 * Bad layouts, dtypes, empty batches, missing arguments, disposed and foreign handles, for every kernel: each
 * must fail with its own `GraceError` code before any work is done, the same way on every backend, so that a
 * caller can branch on the code whatever backend it runs on.
 */
export function argumentErrorCases(): ConformanceCase[] {
  const calls = [
    ...tokenKernelCalls('gatherTokens', (backend, input, positions) =>
      backend.gatherTokens(input, positions),
    ),
    ...tokenKernelCalls('meanTokens', (backend, input, lengths) => backend.meanTokens(input, lengths)),
    ...nearestKeyCalls(),
    ...lookupCalls(),
    ...adamCalls(),
  ];
  return calls.map(({ kernel, name, code, call }) =>
    defineScopedCase(suite, `${kernel}: ${name} is ${code}`, async (scope) => {
      await assertThrowsGraceError(() => call(scope), code, `${kernel} with ${name}`);
    }),
  );
}
