import type { WasmMemory } from '@grace/core';

/** A block of the arena, in bytes; offsets are multiples of 16 so that vectors never straddle blocks. */
export interface ArenaBlock {
  readonly offset: number;
  readonly bytes: number;
}

const pageBytes = 65_536;
const alignment = 16;

/**
 * A first-fit allocator over one `WasmMemory`, which grows when no free block fits. Growing replaces
 * the memory's `ArrayBuffer`, so views must be taken from {@link floats} after every `allocate`.
 */
export class WasmArena {
  readonly memory: WasmMemory;
  /** Free blocks below `top`, sorted by offset, never adjacent (they are merged). */
  private readonly freeBlocks: ArenaBlock[] = [];
  private top = alignment;
  private view: Float32Array;

  constructor(memory: WasmMemory) {
    this.memory = memory;
    this.view = new Float32Array(memory.buffer);
  }

  /** The whole memory as floats; valid until the next `allocate`. */
  get floats(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  allocate(requestedBytes: number): ArenaBlock {
    const bytes = Math.max(alignment, Math.ceil(requestedBytes / alignment) * alignment);
    const fit = this.freeBlocks.findIndex((block) => block.bytes >= bytes);
    if (fit >= 0) {
      const block = this.freeBlocks[fit] as ArenaBlock;
      if (block.bytes === bytes) this.freeBlocks.splice(fit, 1);
      else this.freeBlocks[fit] = { offset: block.offset + bytes, bytes: block.bytes - bytes };
      return { offset: block.offset, bytes };
    }
    const offset = this.top;
    const missing = offset + bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / pageBytes));
    this.top = offset + bytes;
    return { offset, bytes };
  }

  release(block: ArenaBlock): void {
    let position = this.freeBlocks.findIndex((free) => free.offset > block.offset);
    if (position < 0) position = this.freeBlocks.length;
    this.freeBlocks.splice(position, 0, block);
    // Merge with the next block, then with the previous one.
    for (const index of [position, position - 1]) {
      const current = this.freeBlocks[index];
      const next = this.freeBlocks[index + 1];
      if (current !== undefined && next !== undefined && current.offset + current.bytes === next.offset) {
        this.freeBlocks.splice(index, 2, { offset: current.offset, bytes: current.bytes + next.bytes });
      }
    }
    const last = this.freeBlocks.at(-1);
    if (last !== undefined && last.offset + last.bytes === this.top) {
      this.freeBlocks.pop();
      this.top = last.offset;
    }
  }
}
