import { describe, expect, it } from 'vitest';
import type { AttributeValue, SymbolicShape } from '../suffix-graph.js';
import { reshapeDefinition } from './reshape.js';

function reshape(input: SymbolicShape, attributes: Record<string, AttributeValue>) {
  return reshapeDefinition.resolve({
    nodeName: 'heads',
    inputShapes: [input],
    inputDtypes: ['float32'],
    attributes,
  });
}

function expectError(action: () => unknown, code: string): void {
  expect(action).toThrow(expect.objectContaining({ code, message: expect.stringContaining("'heads'") }));
}

describe('Reshape definition', () => {
  it('copies with 0 and infers -1 on numbers; the kernel gets no attributes', () => {
    expect(reshape([2, 3, 4], { shape: [0, -1] })).toEqual({ attributes: {}, outputShape: [2, 12] });
    expect(reshape([2, 3, 4], { shape: [4, 0, 2] }).outputShape).toEqual([4, 3, 2]);
    expect(reshape([6, 4], { shape: [2, -1, 4] }).outputShape).toEqual([2, 3, 4]);
    expect(reshape([2, 3, 4], { shape: [-1] }).outputShape).toEqual([24]);
    expect(reshape([2, 3], { shape: [3, 2], allowzero: 0 }).outputShape).toEqual([3, 2]);
  });

  it('infers -1 through names that are copied with 0', () => {
    expect(reshape(['batch', 'tokens', 8], { shape: [0, 0, 2, -1] }).outputShape).toEqual([
      'batch',
      'tokens',
      2,
      4,
    ]);
    // Names cancel wherever they are copied to... only by position, as ONNX's 0 copies by position.
    expect(reshape(['batch', 6], { shape: [0, 2, 3] }).outputShape).toEqual(['batch', 2, 3]);
  });

  it('gives -1 a fresh name when names do not cancel, and defers the size check to run time', () => {
    expect(reshape(['batch', 'tokens', 8], { shape: [0, -1] }).outputShape).toEqual([
      'batch',
      'heads:inferred',
    ]);
    expect(reshape(['batch', 'tokens', 8], { shape: [-1, 8] }).outputShape).toEqual(['heads:inferred', 8]);
    expect(reshape(['batch', 'tokens'], { shape: [5, 7] }).outputShape).toEqual([5, 7]);
  });

  it('refuses sizes that cannot match', () => {
    expectError(() => reshape([2, 3, 4], { shape: [5, -1] }), 'SHAPE_MISMATCH');
    expectError(() => reshape([2, 3, 4], { shape: [4, 5] }), 'SHAPE_MISMATCH');
    expectError(() => reshape(['batch', 6], { shape: [0, 4] }), 'SHAPE_MISMATCH');
  });

  it('refuses bad shape attributes as INVALID_ARGUMENT and allowzero = 1 as UNSUPPORTED_OP', () => {
    expectError(() => reshape([2, 3], { shape: [-1, -1] }), 'INVALID_ARGUMENT');
    expectError(() => reshape([2, 3], { shape: [1, 1, 0] }), 'INVALID_ARGUMENT');
    expectError(() => reshape([2, 3], { shape: [-2, 3] }), 'INVALID_ARGUMENT');
    expectError(() => reshape([2, 3], {}), 'INVALID_ARGUMENT');
    expectError(() => reshape([2, 3], { shape: 6 }), 'INVALID_ARGUMENT');
    expectError(() => reshape([2, 3], { shape: [6], allowzero: 1 }), 'UNSUPPORTED_OP');
  });
});
