import type * as tfjs from '@tensorflow/tfjs-core';

/**
 * The TensorFlow.js namespace the backend runs on, as the user imported it (`@tensorflow/tfjs`,
 * `@tensorflow/tfjs-core` with a backend package, `@tensorflow/tfjs-node-gpu`, ...). Only its type comes from
 * `@tensorflow/tfjs-core`: the backend never imports tfjs at run time, so the kernels run on whichever copy and
 * whichever tfjs backend the user set up.
 */
export type TensorFlow = typeof tfjs;

/** A tfjs tensor, the storage behind this backend's handles. */
export type TfTensor = tfjs.Tensor;
