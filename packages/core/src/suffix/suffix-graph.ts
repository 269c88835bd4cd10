import type { DType } from '../tensor.js';

/**
 * The suffix graph IR: the part of a model after the edited layer, as a small ONNX-like graph that core can
 * run forward and differentiate on any backend. It is plain data (JSON-friendly apart from the initializer
 * arrays), so an ONNX importer, a model builder or a user can write one.
 */

/** A dimension: a number, or a name for a size known only at run time (`'batch'`, `'tokens'`). */
export type Dimension = number | string;

/** A shape whose dimensions may be symbolic. */
export type SymbolicShape = readonly Dimension[];

/** An ONNX attribute value after import: ints and floats as numbers, lists as number arrays. */
export type AttributeValue = number | string | readonly number[];

/** A value fed at run time: the replaced activation, anything else crossing the cut, the edit's targets. */
export interface GraphInput {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: SymbolicShape;
}

/** A constant: a frozen weight. */
export interface GraphInitializer {
  readonly name: string;
  readonly data: Float32Array | Int32Array;
  readonly shape: readonly number[];
}

/** One op application. Inputs and outputs name values; `''` marks an absent optional input, as in ONNX. */
export interface GraphNode {
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A whole suffix graph. `outputs` usually holds the prediction (logits) and the scalar loss. */
export interface SuffixGraph {
  readonly name?: string;
  readonly inputs: readonly GraphInput[];
  readonly initializers: readonly GraphInitializer[];
  readonly nodes: readonly GraphNode[];
  readonly outputs: readonly string[];
}
