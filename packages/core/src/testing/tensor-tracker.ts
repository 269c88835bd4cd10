import type { GraceBackend } from '../backend.js';
import type { OpKernel, SuffixKernels } from '../suffix/op-kernel.js';
import { type SuffixOpType, suffixOpTypes } from '../suffix/op-types.js';
import type { Tensor } from '../tensor.js';

/** A backend wrapped so that every tensor it hands out is counted until disposed. */
export interface TrackedBackend {
  readonly backend: GraceBackend;
  /** Tensors made through the wrapper and not yet disposed. */
  live(): number;
}

/**
 * Wraps a backend to count live tensors: a leak check for code that chains many kernels (the executor, value
 * training, the editor), which must free every intermediate even on a long run. The wrapper forwards every
 * call unchanged.
 */
export function trackTensors(inner: GraceBackend): TrackedBackend {
  const alive = new Set<Tensor>();
  const track = <T extends Tensor | undefined>(tensor: T): T => {
    if (tensor !== undefined) alive.add(tensor);
    return tensor;
  };
  const ops = Object.fromEntries(
    suffixOpTypes.map((type: SuffixOpType) => {
      const kernel = inner.ops[type] as OpKernel<unknown>;
      const wrapped: OpKernel<unknown> = {
        forward: (inputs, attributes, outputShape) => track(kernel.forward(inputs, attributes, outputShape)),
        gradient: (args) => kernel.gradient(args).map(track),
      };
      return [type, wrapped];
    }),
  ) as unknown as SuffixKernels;
  const backend: GraceBackend = {
    specificationVersion: inner.specificationVersion,
    name: `${inner.name} (tracked)`,
    upload: (data, shape) => track(inner.upload(data, shape)),
    download: (tensor) => inner.download(tensor),
    dispose: (tensor) => {
      alive.delete(tensor);
      inner.dispose(tensor);
    },
    // A mirror's tensors belong to the mirror, which frees them itself: nothing to track.
    createRowMirror: (rowShape) => inner.createRowMirror(rowShape),
    gatherTokens: (input, positions) => track(inner.gatherTokens(input, positions)),
    meanTokens: (input, lengths) => track(inner.meanTokens(input, lengths)),
    nearestKey: (queries, keys) => {
      const result = inner.nearestKey(queries, keys);
      track(result.index);
      track(result.distance);
      return result;
    },
    lookup: (args) => {
      const result = inner.lookup(args);
      track(result.output);
      track(result.hitIndex);
      return result;
    },
    adamStep: (args) => inner.adamStep(args),
    ops,
  };
  return { backend, live: () => alive.size };
}
