import type { GraceBackend } from '../backend.js';
import type { Shape, Tensor } from '../tensor.js';
import { type ConformanceCase, defineConformanceCase } from './conformance-case.js';

/**
 * Tracks every tensor a case makes and disposes them when the case ends, pass or fail, so that a long
 * conformance run on a GPU backend does not exhaust device memory through the cases' own leaks.
 */
export class TensorScope {
  readonly backend: GraceBackend;
  readonly #tensors: Tensor[] = [];

  constructor(backend: GraceBackend) {
    this.backend = backend;
  }

  /** Uploads float32 data; a `Float32Array` goes up as is, so its exact bit patterns reach the backend. */
  float32(values: ArrayLike<number>, shape: Shape): Tensor<'float32'> {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.keep(this.backend.upload(data, shape));
  }

  /** Uploads int32 data. */
  int32(values: ArrayLike<number>, shape: Shape): Tensor<'int32'> {
    const data = values instanceof Int32Array ? values : Int32Array.from(values);
    return this.keep(this.backend.upload(data, shape));
  }

  /** Adopts a tensor a kernel returned, so that it is disposed with the rest. */
  keep<T extends Tensor>(tensor: T): T {
    this.#tensors.push(tensor);
    return tensor;
  }

  /** Disposes everything kept; disposing a tensor twice is harmless by contract. */
  disposeAll(): void {
    for (const tensor of this.#tensors.splice(0)) this.backend.dispose(tensor);
  }
}

/**
 * Runs `body` with a fresh scope and disposes the scope's tensors afterwards. A disposal failure is reported
 * only when `body` succeeded, so it never hides the failure that matters.
 */
export async function withTensorScope(
  backend: GraceBackend,
  body: (scope: TensorScope) => Promise<void>,
): Promise<void> {
  const scope = new TensorScope(backend);
  try {
    await body(scope);
  } catch (error) {
    try {
      scope.disposeAll();
    } catch {
      // The body's failure is the one to report.
    }
    throw error;
  }
  scope.disposeAll();
}

/** A named case whose body gets a {@link TensorScope}: the shape nearly every kernel case has. */
export function defineScopedCase(
  suite: string,
  name: string,
  body: (scope: TensorScope) => Promise<void>,
): ConformanceCase {
  return defineConformanceCase(suite, name, (backend) => withTensorScope(backend, body));
}
