import { InputError } from './input-error.js';

/** Deepest nesting of arrays and objects a request body may have; the API's own bodies need 4. */
export const maximumJsonDepth = 32;

/**
 * Refuses JSON text nested deeper than `maximumDepth` in one linear pass over the characters (brackets inside
 * strings do not count), before `JSON.parse` and schema validation, whose cost on a body nested 300,000 deep
 * is hundreds of milliseconds of event-loop time.
 */
export function checkJsonDepth(text: string, maximumDepth = maximumJsonDepth): void {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > maximumDepth) {
        throw new InputError('TOO_DEEP', '/body', `is nested deeper than ${maximumDepth} levels`);
      }
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
}
