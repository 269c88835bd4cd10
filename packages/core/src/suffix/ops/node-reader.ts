import { GraceError, type GraceErrorCode, type GraceErrorDetails, isGraceError } from '../../errors.js';
import type { ResolveContext } from '../op-definition.js';
import type { SuffixOpType } from '../op-types.js';
import type { AttributeValue, Dimension, SymbolicShape } from '../suffix-graph.js';
import { broadcastSymbolicShapes, formatSymbolicShape } from '../symbolic-shape.js';

/**
 * What every op definition does with a node: read its raw ONNX attributes with type checks and defaults, fetch
 * its input shapes, and fail with a {@link GraceError} that names the node and its op. One reader per
 * `resolve` call keeps the definitions short and their error messages uniform:
 * `node 'encoder/attention/reshape' (Reshape): shape has more than one -1`.
 */
export class NodeReader {
  readonly context: ResolveContext;
  readonly type: SuffixOpType;

  constructor(context: ResolveContext, type: SuffixOpType) {
    this.context = context;
    this.type = type;
  }

  /** An error whose message starts with the node and op, and whose details carry them. */
  error(code: GraceErrorCode, message: string, details: GraceErrorDetails = {}): GraceError {
    return new GraceError(code, `node '${this.context.nodeName}' (${this.type}): ${message}`, {
      node: this.context.nodeName,
      opType: this.type,
      ...details,
    });
  }

  /**
   * Refuses attributes the definition does not read. ONNX attributes change semantics, so an attribute this
   * op set ignores would silently compute something else than the original model: it is `UNSUPPORTED_OP`.
   */
  allowAttributes(names: readonly string[]): void {
    for (const name of Object.keys(this.context.attributes)) {
      if (!names.includes(name)) {
        throw this.error(
          'UNSUPPORTED_OP',
          `attribute '${name}' is not supported (known: ${names.join(', ')})`,
          {
            attribute: name,
          },
        );
      }
    }
  }

  /** The shape of a required input. */
  shape(index: number, role: string): SymbolicShape {
    const shape = this.context.inputShapes[index];
    if (shape === undefined) {
      throw this.error('GRAPH_INVALID', `input ${index} (${role}) is required`, { input: index });
    }
    return shape;
  }

  /** The shape of an optional input, `undefined` when absent. */
  optionalShape(index: number): SymbolicShape | undefined {
    return this.context.inputShapes[index];
  }

  /** Requires a rank, or a minimum rank; `SHAPE_MISMATCH` otherwise. */
  requireRank(shape: SymbolicShape, role: string, rank: number, orHigher = false): void {
    if (shape.length === rank || (orHigher && shape.length > rank)) return;
    throw this.error(
      'SHAPE_MISMATCH',
      `${role} must have rank ${rank}${orHigher ? ' or more' : ''}, got ${formatSymbolicShape(shape)}`,
      { role, shape },
    );
  }

  /** The raw attribute, `undefined` when absent. */
  raw(name: string): AttributeValue | undefined {
    return this.context.attributes[name];
  }

  /** An integer attribute (ONNX `int`). */
  integer(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw this.invalid(name, value, 'an integer');
    }
    return value;
  }

  /** An optional integer attribute, `null` when absent. */
  optionalInteger(name: string): number | null {
    return this.raw(name) === undefined ? null : this.integer(name, 0);
  }

  /** A 0/1 integer attribute read as a boolean (ONNX has no boolean attributes). */
  flag(name: string, fallback: boolean): boolean {
    const value = this.integer(name, fallback ? 1 : 0);
    if (value !== 0 && value !== 1) throw this.invalid(name, value, '0 or 1');
    return value === 1;
  }

  /** A finite float attribute. */
  float(name: string, fallback: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw this.invalid(name, value, 'a finite number');
    return value;
  }

  /** A string attribute restricted to `choices`. */
  choice<Choice extends string>(name: string, choices: readonly Choice[], fallback: Choice): Choice {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      throw this.invalid(name, value, `one of ${choices.map((choice) => `'${choice}'`).join(', ')}`);
    }
    return value as Choice;
  }

  /** An integer-list attribute (ONNX `ints`), `undefined` when absent. */
  integers(name: string): readonly number[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || !value.every((item) => Number.isInteger(item))) {
      throw this.invalid(name, value, 'a list of integers');
    }
    return value;
  }

  /** Maps an axis in `[-rank, rank)` to `[0, rank)`; `INVALID_ARGUMENT` outside. */
  axis(name: string, axis: number, rank: number): number {
    if (axis < -rank || axis >= rank) {
      throw this.error('INVALID_ARGUMENT', `${name} ${axis} is out of range for rank ${rank}`, {
        attribute: name,
        value: axis,
        rank,
      });
    }
    return axis < 0 ? axis + rank : axis;
  }

  /** {@link broadcastSymbolicShapes}, with a mismatch reported against this node. */
  broadcast(shapes: readonly SymbolicShape[]): Dimension[] {
    try {
      return broadcastSymbolicShapes(...shapes);
    } catch (error) {
      if (isGraceError(error, 'SHAPE_MISMATCH')) {
        throw this.error(
          'SHAPE_MISMATCH',
          `input shapes ${shapes.map(formatSymbolicShape).join(', ')} do not broadcast`,
          {
            shapes,
          },
        );
      }
      throw error;
    }
  }

  private invalid(name: string, value: unknown, expected: string): GraceError {
    return this.error(
      'INVALID_ARGUMENT',
      `attribute '${name}' must be ${expected}, got ${JSON.stringify(value)}`,
      {
        attribute: name,
        value,
      },
    );
  }
}
