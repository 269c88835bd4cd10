/**
 * A small seeded generator, so that every random conformance case draws the same numbers on every backend,
 * machine and run: a failure seen once can be reproduced and compared across backends.
 */
export interface SeededRandom {
  /** Uniform in `[0, 1)`. */
  next(): number;
  /** Uniform in `[min, max)`. */
  uniform(min: number, max: number): number;
  /** An integer uniform in `[min, maxExclusive)`. */
  integer(min: number, maxExclusive: number): number;
  /** `count` float32 values uniform in `[min, max)`, by default `[-1, 1)`: the scale of layer activations. */
  floats(count: number, min?: number, max?: number): Float32Array;
  /** `count` integers uniform in `[min, maxExclusive)`. */
  integers(count: number, min: number, maxExclusive: number): Int32Array;
}

/**
 * Mulberry32 (Tommy Ettinger's 32-bit generator): one word of state, fast, and good enough to make test data;
 * not for anything that needs unpredictability.
 */
export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
  const uniform = (min: number, max: number): number => min + (max - min) * next();
  const integer = (min: number, maxExclusive: number): number =>
    min + Math.floor((maxExclusive - min) * next());
  return {
    next,
    uniform,
    integer,
    floats(count: number, min = -1, max = 1): Float32Array {
      const values = new Float32Array(count);
      for (let index = 0; index < count; index++) values[index] = uniform(min, max);
      return values;
    },
    integers(count: number, min: number, maxExclusive: number): Int32Array {
      const values = new Int32Array(count);
      for (let index = 0; index < count; index++) values[index] = integer(min, maxExclusive);
      return values;
    },
  };
}
