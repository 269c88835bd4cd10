/**
 * A small seeded generator (a mulberry32 stream whose seed goes through a murmur3 finaliser): GRACE's cold value
 * initialisation must be reproducible for a seed, in every JavaScript engine, without a dependency.
 */
export class SeededRandom {
  private state: number;

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

  /** `length` uniform draws in [0, 1), like `torch.rand`. */
  uniform(length: number): Float32Array {
    const result = new Float32Array(length);
    for (let index = 0; index < length; index++) result[index] = this.next();
    return result;
  }
}

function mixSeed(seed: number, stream: number): number {
  let value = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  value = Math.imul(value ^ (value >>> 16), 0x85ebca6b);
  value = Math.imul(value ^ (value >>> 13), 0xc2b2ae35);
  return (value ^ (value >>> 16)) >>> 0;
}
