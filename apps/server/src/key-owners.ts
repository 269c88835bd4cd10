import type { Codebook } from '@grace/core';

/** For each key, the id of the last active edit routed to it (whose training produced its value). */
export function keyOwners(codebook: Codebook): Map<number, string> {
  const owners = new Map<number, string>();
  for (const record of codebook.records) owners.set(record.keyIndex, record.id);
  return owners;
}
