import type { DType } from '../tensor.js';
import type { SuffixOpAttributes, SuffixOpType } from './op-types.js';
import type { AttributeValue, SymbolicShape } from './suffix-graph.js';

/** What core knows about an op's inputs when it resolves a node. */
export interface ResolveContext {
  /** The node's name, for error messages. */
  readonly nodeName: string;
  /** Shapes of the inputs in ONNX order; `undefined` for an absent optional input. */
  readonly inputShapes: readonly (SymbolicShape | undefined)[];
  readonly inputDtypes: readonly (DType | undefined)[];
  /** The node's raw attributes. */
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** A node resolved for one set of input shapes: the kernel's attributes and the output's shape. */
export interface ResolvedOp<Op extends SuffixOpType> {
  readonly attributes: SuffixOpAttributes[Op];
  readonly outputShape: SymbolicShape;
}

/**
 * Core's knowledge of one op, independent of any backend: how many inputs it takes, which must be int32,
 * its attribute defaults and checks, and its shape inference. The same `resolve` runs at build time on
 * symbolic shapes (to reject a bad graph early, naming the node) and at run time on concrete shapes (to give
 * the kernel its attributes and output shape).
 */
export interface OpDefinition<Op extends SuffixOpType> {
  readonly type: Op;
  /** Smallest and largest number of inputs (optional trailing inputs may be absent). */
  readonly minimumInputs: number;
  readonly maximumInputs: number;
  /** Input positions that must be int32 (labels); all others are float32. */
  readonly integerInputs: readonly number[];
  /** Validates attributes and input shapes; throws a GraceError naming `context.nodeName`. */
  resolve(context: ResolveContext): ResolvedOp<Op>;
}

/** One definition per op: a missing definition does not compile. */
export type OpDefinitions = { readonly [Op in SuffixOpType]: OpDefinition<Op> };
