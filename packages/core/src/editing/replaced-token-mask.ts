import type { ReplacementMode } from '../backend.js';

/**
 * `[T]` flags (1 = the value replaces this token) for a replacement mode and a row's key token: the same rule
 * as the backends' `lookup`, so a value is trained exactly where inference will put it.
 */
export function replacedTokenMask(mode: ReplacementMode, tokens: number, keyPosition: number): Float32Array {
  const mask = new Float32Array(tokens);
  for (let token = 0; token < tokens; token++) {
    const replaced = mode === 'all' || (mode === 'last' ? token === keyPosition : token < keyPosition);
    mask[token] = replaced ? 1 : 0;
  }
  return mask;
}
