import { SeededRandom } from './random.js';

/**
 * An orthonormal basis of `dimensions` directions near the keys' principal subspace, their mean, and how much of
 * their variance the basis misses. {@link ProjectionKeyTree} projects keys and queries on it: any orthonormal
 * basis gives an exact lower bound on distances; one close to the principal directions makes the bound tight.
 */
export interface PrincipalBasis {
  /** `[D]`: the mean of the sampled keys (float64). */
  readonly mean: Float64Array;
  /** `[dimensions, D]`, row-major: orthonormal rows (float64, orthogonalised twice). */
  readonly directions: Float64Array;
  readonly dimensions: number;
  /** Variance of the sampled keys outside the basis / their total variance, in [0, 1] (1 when the total is 0). */
  readonly residualShare: number;
  /** `max |u_i · u_j − δ_ij|` over the rows as computed: how far from orthonormal rounding left them. */
  readonly orthogonalityError: number;
}

/** Rows read to estimate the basis (evenly spaced over the keys); power iterations of the subspace. */
const sampleRows = 512;
const powerIterations = 4;

/**
 * The basis by randomized subspace iteration on a sample of finite key rows (`keys [rows, width]`): `Y = X·Ω`,
 * then `powerIterations` times `Z = orth(Xᵀ·Y)`, `Y = X·Z`, X the centered sample. O(sample · D · dimensions) per
 * iteration, deterministic (seeded). Needs `1 ≤ dimensions ≤ width`.
 */
export function principalBasis(
  keys: Float32Array,
  rows: number,
  width: number,
  dimensions: number,
): PrincipalBasis {
  const sample = sampledFiniteRows(keys, rows, width);
  const count = sample.length / width;
  const mean = new Float64Array(width);
  for (let row = 0; row < count; row++) {
    for (let column = 0; column < width; column++) mean[column] += sample[row * width + column] as number;
  }
  for (let column = 0; column < width; column++) mean[column] = (mean[column] as number) / Math.max(1, count);
  let total = 0;
  for (let row = 0; row < count; row++) {
    for (let column = 0; column < width; column++) {
      const centered = (sample[row * width + column] as number) - (mean[column] as number);
      sample[row * width + column] = centered;
      total += centered * centered;
    }
  }
  const random = new SeededRandom(width * 7919 + dimensions, 3);
  let directions = new Float64Array(dimensions * width);
  for (let index = 0; index < directions.length; index++) directions[index] = random.normal();
  orthonormalizeRows(directions, dimensions, width);
  for (let iteration = 0; iteration < powerIterations; iteration++) {
    // Z = Xᵀ·(X·Zᵀ)ᵀ per direction: the covariance applied to each row, then orthonormalised.
    const projected = projectRows(sample, count, width, directions, dimensions);
    const next = new Float64Array(dimensions * width);
    for (let row = 0; row < count; row++) {
      for (let direction = 0; direction < dimensions; direction++) {
        const weight = projected[row * dimensions + direction] as number;
        const base = direction * width;
        for (let column = 0; column < width; column++) {
          next[base + column] =
            (next[base + column] as number) + weight * (sample[row * width + column] as number);
        }
      }
    }
    directions = next;
    orthonormalizeRows(directions, dimensions, width);
  }
  const projected = projectRows(sample, count, width, directions, dimensions);
  let captured = 0;
  for (const value of projected) captured += value * value;
  return {
    mean,
    directions,
    dimensions,
    residualShare: total > 0 ? Math.min(1, Math.max(0, 1 - captured / total)) : 1,
    orthogonalityError: orthogonalityError(directions, dimensions, width),
  };
}

/**
 * Writes the point of the row at `offset` of `data` (`[D]`) on `basis` into `target` (`[dimensions + 1]`): its
 * coordinates `c = U(x − μ)` and its residual norm `ρ = √(‖x − μ‖² − ‖c‖²)` (Pythagoras for an orthonormal basis;
 * the caller's margins cover the rounding of the difference), float64; returns `‖x − μ‖` (not finite when the row
 * is not). `scratch` (`[D]`) holds the centered row. O(dimensions · D).
 */
export function projectRow(
  basis: PrincipalBasis,
  data: Float32Array,
  offset: number,
  target: Float64Array,
  scratch: Float64Array,
): number {
  const { mean, directions, dimensions } = basis;
  const width = mean.length;
  let norm = 0;
  for (let column = 0; column < width; column++) {
    const value = (data[offset + column] as number) - (mean[column] as number);
    scratch[column] = value;
    norm += value * value;
  }
  let projected = 0;
  for (let direction = 0; direction < dimensions; direction++) {
    const base = direction * width;
    let coordinate = 0;
    for (let column = 0; column < width; column++) {
      coordinate += (scratch[column] as number) * (directions[base + column] as number);
    }
    target[direction] = coordinate;
    projected += coordinate * coordinate;
  }
  target[dimensions] = Math.sqrt(Math.max(norm - projected, 0));
  return Math.sqrt(norm);
}

/** Up to {@link sampleRows} finite rows, evenly spaced, as float64 `[count, width]`. */
function sampledFiniteRows(keys: Float32Array, rows: number, width: number): Float64Array {
  const step = Math.max(1, rows / sampleRows);
  const chosen: number[] = [];
  for (let position = 0; position < rows; position += step) {
    const row = Math.floor(position);
    let finite = true;
    for (let column = 0; column < width && finite; column++) {
      finite = Number.isFinite(keys[row * width + column] as number);
    }
    if (finite) chosen.push(row);
  }
  const sample = new Float64Array(chosen.length * width);
  for (const [position, row] of chosen.entries()) {
    for (let column = 0; column < width; column++) {
      sample[position * width + column] = keys[row * width + column] as number;
    }
  }
  return sample;
}

/** `[count, dimensions]`: each sample row's coordinates on each direction. */
function projectRows(
  sample: Float64Array,
  count: number,
  width: number,
  directions: Float64Array,
  dimensions: number,
): Float64Array {
  const projected = new Float64Array(count * dimensions);
  for (let row = 0; row < count; row++) {
    for (let direction = 0; direction < dimensions; direction++) {
      let sum = 0;
      for (let column = 0; column < width; column++) {
        sum += (sample[row * width + column] as number) * (directions[direction * width + column] as number);
      }
      projected[row * dimensions + direction] = sum;
    }
  }
  return projected;
}

/**
 * Modified Gram–Schmidt, twice ("twice is enough" for orthogonality to rounding level); a row that vanishes
 * (dependent directions) is replaced by the first axis vector that is independent of the rows before it.
 */
function orthonormalizeRows(rows: Float64Array, count: number, width: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let row = 0; row < count; row++) {
      const base = row * width;
      let norm = orthogonalizeRow(rows, row, width);
      for (let axis = 0; !(norm > 1e-8) && axis < width; axis++) {
        rows.fill(0, base, base + width);
        rows[base + axis] = 1;
        norm = orthogonalizeRow(rows, row, width);
      }
      for (let column = 0; column < width; column++)
        rows[base + column] = (rows[base + column] as number) / norm;
    }
  }
}

/** Removes from row `row` its components along the rows before it; returns its remaining norm. */
function orthogonalizeRow(rows: Float64Array, row: number, width: number): number {
  const base = row * width;
  for (let earlier = 0; earlier < row; earlier++) {
    let dot = 0;
    for (let column = 0; column < width; column++) {
      dot += (rows[base + column] as number) * (rows[earlier * width + column] as number);
    }
    for (let column = 0; column < width; column++) {
      rows[base + column] =
        (rows[base + column] as number) - dot * (rows[earlier * width + column] as number);
    }
  }
  let norm = 0;
  for (let column = 0; column < width; column++) norm += (rows[base + column] as number) ** 2;
  return Math.sqrt(norm);
}

function orthogonalityError(rows: Float64Array, count: number, width: number): number {
  let worst = 0;
  for (let first = 0; first < count; first++) {
    for (let second = first; second < count; second++) {
      let dot = 0;
      for (let column = 0; column < width; column++) {
        dot += (rows[first * width + column] as number) * (rows[second * width + column] as number);
      }
      worst = Math.max(worst, Math.abs(dot - (first === second ? 1 : 0)));
    }
  }
  return worst;
}
