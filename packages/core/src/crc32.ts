/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial). The codebook file carries one so that a flipped byte is
 * reported as damage instead of being loaded as a slightly different codebook; it needs no crypto API, so it
 * works the same in Node and in browsers.
 */

let table: Uint32Array | null = null;

function crcTable(): Uint32Array {
  if (table !== null) return table;
  table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let value = byte;
    for (let bit = 0; bit < 8; bit++) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
    table[byte] = value >>> 0;
  }
  return table;
}

/** CRC-32 of several byte ranges taken in order, as an unsigned 32-bit integer. */
export function crc32(...chunks: readonly Uint8Array[]): number {
  const lookup = crcTable();
  let crc = 0xffffffff;
  for (const chunk of chunks) {
    for (let index = 0; index < chunk.length; index++) {
      crc = (lookup[(crc ^ (chunk[index] as number)) & 0xff] as number) ^ (crc >>> 8);
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}
