import { describe, expect, it } from 'vitest';
import {
  broadcastSymbolicShapes,
  broadcastsUnidirectionally,
  dimensionsCompatible,
  factorSymbolicSize,
  isConcreteShape,
} from './symbolic-shape.js';

describe('broadcastSymbolicShapes', () => {
  it('follows numpy on numbers, including the rank growth and a scalar', () => {
    expect(broadcastSymbolicShapes([2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
    expect(broadcastSymbolicShapes([2, 3], [])).toEqual([2, 3]);
    expect(() => broadcastSymbolicShapes([2, 3], [4])).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
  });

  it('keeps a name against 1 or itself, takes the number against any other size', () => {
    expect(broadcastSymbolicShapes(['batch', 'tokens', 8], [8])).toEqual(['batch', 'tokens', 8]);
    expect(broadcastSymbolicShapes(['batch', 1], [1, 'tokens'])).toEqual(['batch', 'tokens']);
    expect(broadcastSymbolicShapes(['batch', 8], ['batch', 8])).toEqual(['batch', 8]);
    expect(broadcastSymbolicShapes(['n', 8], [5, 8])).toEqual([5, 8]);
    expect(broadcastSymbolicShapes([5, 8], ['n', 8])).toEqual([5, 8]);
  });

  it('keeps the left name of two different names (checked at run time)', () => {
    expect(broadcastSymbolicShapes(['a'], ['b'])).toEqual(['a']);
  });

  it('still refuses two clashing numbers next to names', () => {
    expect(() => broadcastSymbolicShapes(['batch', 3], ['batch', 4])).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
  });
});

describe('symbolic shape helpers', () => {
  it('tells concrete shapes, compatible dimensions and unidirectional broadcasts', () => {
    expect(isConcreteShape([2, 3])).toBe(true);
    expect(isConcreteShape(['batch', 3])).toBe(false);
    expect(dimensionsCompatible(3, 3)).toBe(true);
    expect(dimensionsCompatible(3, 4)).toBe(false);
    expect(dimensionsCompatible('k', 4)).toBe(true);
    expect(broadcastsUnidirectionally([1, 5], [3, 5])).toBe(true);
    expect(broadcastsUnidirectionally([5], ['m', 5])).toBe(true);
    expect(broadcastsUnidirectionally([3, 5], [1, 5])).toBe(false);
    expect(broadcastsUnidirectionally([1, 3, 5], [3, 5])).toBe(false);
  });

  it('factors a size into its known product and its names', () => {
    expect(factorSymbolicSize(['batch', 2, 'tokens', 4])).toEqual({ known: 8, names: ['batch', 'tokens'] });
  });
});
