import type { Codebook } from '@grace/core';

/**
 * What an operator wants to know about a codebook at a glance: how big it is, how its radii are spread
 * (tiny radii mean many SPLITs between conflicting labels; huge ones mean EXPANDs are swallowing space), and
 * how many keys each label holds.
 */
export function codebookStatistics(codebook: Codebook) {
  const radii = Array.from(codebook.radiiView()).sort((left, right) => left - right);
  const keysPerLabel: Record<string, number> = {};
  for (let index = 0; index < codebook.size; index++) {
    const label = JSON.stringify(codebook.label(index));
    keysPerLabel[label] = (keysPerLabel[label] ?? 0) + 1;
  }
  const sum = radii.reduce((total, radius) => total + radius, 0);
  const quantile = (fraction: number): number | null =>
    radii.length === 0
      ? null
      : (radii[Math.min(radii.length - 1, Math.floor(fraction * radii.length))] as number);
  return {
    keys: codebook.size,
    edits: codebook.records.length,
    version: codebook.version,
    layerId: codebook.options.layerId,
    keyDimension: codebook.keyDimension,
    valueDimension: codebook.valueDimension,
    epsInit: codebook.options.epsInit,
    radius: {
      min: radii[0] ?? null,
      median: quantile(0.5),
      mean: radii.length === 0 ? null : sum / radii.length,
      max: radii.at(-1) ?? null,
    },
    keysPerLabel,
  };
}
