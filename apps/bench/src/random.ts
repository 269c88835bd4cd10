/**
 * A tiny seeded pseudo-random generator, so that every benchmark run measures the same data and a surprising
 * number can be reproduced. `Math.random` cannot be seeded; statistical quality beyond "no visible
 * structure" does not matter here.
 */
export interface Random {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (mean 0, variance 1). */
  normal(): number;
  /** Integer uniform in [0, bound). */
  integer(bound: number): number;
  /** A new array of `length` standard normal samples. */
  normalArray(length: number): Float32Array;
}

/**
 * Creates a generator from a 32-bit seed (mulberry32 for the bits, Box–Muller for normals).
 * Two generators with the same seed produce the same sequence.
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  let spareNormal: number | undefined;

  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };

  const normal = (): number => {
    if (spareNormal !== undefined) {
      const value = spareNormal;
      spareNormal = undefined;
      return value;
    }
    // 1 - uniform() is in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };

  return {
    uniform,
    normal,
    integer: (bound) => Math.floor(uniform() * bound),
    normalArray: (length) => {
      const values = new Float32Array(length);
      for (let index = 0; index < length; index++) values[index] = normal();
      return values;
    },
  };
}
