/**
 * The project's one seeded generator: a mulberry32 stream whose seed goes through a murmur3 finaliser.
 * GRACE's cold value initialisation, the conformance cases and the benchmarks all need numbers that are the
 * same for a seed in every JavaScript engine, without a dependency. Not for anything needing unpredictability.
 */
export class SeededRandom {
  private state: number;
  private spareNormal: number | undefined;

  /** Streams for different `(seed, stream)` pairs are independent for practical purposes. */
  constructor(seed: number, stream = 0) {
    this.state = mixSeed(Math.trunc(seed) >>> 0, Math.trunc(stream) >>> 0);
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let value = this.state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** An integer uniform in [min, maxExclusive). */
  integer(min: number, maxExclusive: number): number {
    return min + Math.floor((maxExclusive - min) * this.next());
  }

  /** Standard normal (Box–Muller, the second sample of each pair kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const value = this.spareNormal;
      this.spareNormal = undefined;
      return value;
    }
    // 1 - next() is in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** `count` float32 draws uniform in [min, max); [-1, 1) by default, the scale of layer activations. */
  floats(count: number, min = -1, max = 1): Float32Array {
    const values = new Float32Array(count);
    for (let index = 0; index < count; index++) values[index] = this.uniform(min, max);
    return values;
  }

  /** `count` float32 standard normal draws. */
  normals(count: number): Float32Array {
    const values = new Float32Array(count);
    for (let index = 0; index < count; index++) values[index] = this.normal();
    return values;
  }

  /** `count` integers uniform in [min, maxExclusive). */
  integers(count: number, min: number, maxExclusive: number): Int32Array {
    const values = new Int32Array(count);
    for (let index = 0; index < count; index++) values[index] = this.integer(min, maxExclusive);
    return values;
  }
}

function mixSeed(seed: number, stream: number): number {
  let value = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  value = Math.imul(value ^ (value >>> 16), 0x85ebca6b);
  value = Math.imul(value ^ (value >>> 13), 0xc2b2ae35);
  return (value ^ (value >>> 16)) >>> 0;
}
