import type { ReplacementMode } from '../backend.js';

/**
 * `[T]` flags (1 = a value vector replaces this token) for a replacement mode and a row's key token: the same
 * rule as the backends' `lookup`, so a value is trained exactly where inference will put it. With `span`, the
 * tokens `keyPosition .. keyPosition + spanLength - 1` (clipped at T) are flagged, each taking its own vector.
 */
export function replacedTokenMask(
  mode: ReplacementMode,
  tokens: number,
  keyPosition: number,
  spanLength = 1,
): Float32Array {
  const mask = new Float32Array(tokens);
  for (let token = 0; token < tokens; token++)
    mask[token] = replaces(mode, token, keyPosition, spanLength) ? 1 : 0;
  return mask;
}

function replaces(mode: ReplacementMode, token: number, keyPosition: number, spanLength: number): boolean {
  switch (mode) {
    case 'all':
      return true;
    case 'last':
      return token === keyPosition;
    case 'prompt':
      return token < keyPosition;
    case 'span':
      return token >= keyPosition && token < keyPosition + spanLength;
  }
}
