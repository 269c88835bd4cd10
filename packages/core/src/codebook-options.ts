import { GraceError } from './errors.js';

/**
 * How an existing key grows when an edit with the same label lands just outside its ball:
 * - `coverage` (the reference default): the radius grows to the query's distance;
 * - `moving_average`: the key also moves halfway towards the query (the radius is still that distance, so
 *   the ball still covers the old key position and the query).
 */
export type ExpansionMode = 'coverage' | 'moving_average';

/**
 * What a SPLIT does to the older key of a conflicting pair:
 * - `halve` (the reference): both radii become d/2, the old one 1e-5 smaller so the balls never touch;
 * - `keep`: the old key keeps its radius; nearest-key routing already separates the two keys along their
 *   bisector, and the old key keeps covering its far side.
 */
export type SplitPolicy = 'halve' | 'keep';

/**
 * How a new key's value starts before training: `cold` (uniform in [0, 1), seeded, the reference default)
 * or `warm` (the frozen layer's own output at the key token, supplied with the edit).
 */
export type ValueInitialization = 'cold' | 'warm';

/** Settings of one GRACE codebook; everything but the two dimensions has the reference's default. */
export interface CodebookOptions {
  /** Width of the edited layer's input, Dk. */
  readonly keyDimension: number;
  /**
   * Width of a value: the edited layer's output width Dv, or `S·Dv` for a layer with replacement `span` and
   * `spanLength` S (see `layerValueDimension`).
   */
  readonly valueDimension: number;
  /** Initial deferral radius of a new key, the one real hyper-parameter of GRACE. Default 1.0. */
  readonly epsInit?: number;
  /** Default `coverage`. */
  readonly expansion?: ExpansionMode;
  /** Default `halve`. */
  readonly splitPolicy?: SplitPolicy;
  /** Default `cold`. */
  readonly valueInitialization?: ValueInitialization;
  /** Seed of the cold initialisation; each edit draws from its own stream so replays are reproducible. */
  readonly seed?: number;
  /** Which layer of the model this codebook wraps; stored in files so a codebook is not loaded onto another. */
  readonly layerId?: string;
}

/** Options with every default filled in. */
export type ResolvedCodebookOptions = Required<CodebookOptions>;

/** The distance kept between the two balls of a `halve` split, as in the reference implementation. */
export const splitGap = 1e-5;

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Fills in the defaults and refuses impossible settings with `INVALID_ARGUMENT`. */
export function resolveCodebookOptions(options: CodebookOptions): ResolvedCodebookOptions {
  const resolved: ResolvedCodebookOptions = {
    keyDimension: options.keyDimension,
    valueDimension: options.valueDimension,
    epsInit: options.epsInit ?? 1.0,
    expansion: options.expansion ?? 'coverage',
    splitPolicy: options.splitPolicy ?? 'halve',
    valueInitialization: options.valueInitialization ?? 'cold',
    seed: options.seed ?? 0,
    layerId: options.layerId ?? 'layer',
  };
  const problems: string[] = [];
  if (!isPositiveInteger(resolved.keyDimension)) problems.push('keyDimension must be a positive integer');
  if (!isPositiveInteger(resolved.valueDimension)) problems.push('valueDimension must be a positive integer');
  if (!(Number.isFinite(resolved.epsInit) && resolved.epsInit > 0))
    problems.push('epsInit must be finite and > 0');
  if (resolved.expansion !== 'coverage' && resolved.expansion !== 'moving_average') {
    problems.push("expansion must be 'coverage' or 'moving_average'");
  }
  if (resolved.splitPolicy !== 'halve' && resolved.splitPolicy !== 'keep') {
    problems.push("splitPolicy must be 'halve' or 'keep'");
  }
  if (resolved.valueInitialization !== 'cold' && resolved.valueInitialization !== 'warm') {
    problems.push("valueInitialization must be 'cold' or 'warm'");
  }
  if (!Number.isInteger(resolved.seed)) problems.push('seed must be an integer');
  if (typeof resolved.layerId !== 'string' || resolved.layerId.length === 0)
    problems.push('layerId must be a non-empty string');
  if (problems.length > 0) {
    throw new GraceError('INVALID_ARGUMENT', `invalid codebook options: ${problems.join('; ')}`, { options });
  }
  return resolved;
}
