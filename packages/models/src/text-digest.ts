/**
 * A short, stable digest of a text for edit records (FNV-1a, 32 bits, hex): enough to recognise an input in an
 * audit without storing it; not a security hash.
 */
export function textDigest(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
