import { webAssemblyApi } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { WasmArena } from './wasm-arena.js';

function arena(): WasmArena {
  const api = webAssemblyApi();
  if (api === undefined) throw new Error('no WebAssembly');
  return new WasmArena(new api.Memory({ initial: 1 }));
}

describe('WasmArena', () => {
  it('aligns blocks to 16 bytes, reuses freed space and merges neighbours', () => {
    const memory = arena();
    const first = memory.allocate(10);
    const second = memory.allocate(40);
    const third = memory.allocate(16);
    expect([first.offset % 16, second.offset % 16, third.offset % 16]).toEqual([0, 0, 0]);
    expect(second.offset).toBe(first.offset + 16);
    memory.release(first);
    memory.release(second);
    // The two freed neighbours merged into one 64-byte block, which a 64-byte request reuses.
    expect(memory.allocate(64).offset).toBe(first.offset);
  });

  it('grows the memory when nothing fits and hands out a fresh view afterwards', () => {
    const memory = arena();
    const before = memory.floats;
    const large = memory.allocate(200_000);
    expect(memory.floats.buffer.byteLength).toBeGreaterThanOrEqual(large.offset + 200_000);
    expect(memory.floats === before).toBe(false);
    memory.release(large);
    expect(memory.allocate(16).offset).toBe(large.offset);
  });
});
