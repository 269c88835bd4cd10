// Decision this benchmark informs: is one GRACE edit (codebook update + 100 Adam iterations through the
// frozen suffix) fast enough on the reference CPU backend for interactive editing, and what must faster
// backends beat? Shapes: the paper's synthetic network, lande's, and transformer-sized 768-wide suffixes; with a
// Python that has torch, one-thread PyTorch training the same suffix runs beside them (target: ≤ 1.0×).

import {
  editableSequentialModel,
  GraceEditor,
  SeededRandom,
  type SequentialLayerSpecification,
  SequentialModel,
} from '@grace/core';
import { syntheticClassifierLayers } from '@grace/models';
import type { NamedBackend } from './backends.js';
import { summarizeTimings, type TimingSummary } from './statistics.js';

/** A network whose first dense layer is edited; the suffix is everything after it. */
export interface EditWorkload {
  readonly name: string;
  /** The suffix's shape, for the report, e.g. `100 → 100 → 1`. */
  readonly suffixShape: string;
  readonly inputWidth: number;
  readonly layers: readonly SequentialLayerSpecification[];
  readonly classes: number;
}

export const editWorkloads: readonly EditWorkload[] = [
  {
    name: 'synthetic',
    suffixShape: 'relu → 100 → relu → 1 (sigmoid CE), edited layer 2 → 100',
    inputWidth: 2,
    layers: syntheticClassifierLayers,
    classes: 2,
  },
  {
    name: 'lande',
    suffixShape: "softmax CE only, edited layer 120 → 50: lande's dense1 shapes (its default edit point)",
    inputWidth: 120,
    layers: [{ kind: 'dense', units: 50 }],
    classes: 50,
  },
  {
    name: 'lande-dense0',
    suffixShape: "relu → 50 (softmax CE), edited layer 620 → 120: lande's dense0 shapes",
    inputWidth: 620,
    layers: [{ kind: 'dense', units: 120 }, { kind: 'relu' }, { kind: 'dense', units: 50 }],
    classes: 50,
  },
  {
    name: 'wide',
    suffixShape: '768 → 3072 → relu → 768 → relu → 10 (softmax CE), edited layer 768 → 768',
    inputWidth: 768,
    layers: [
      { kind: 'dense', units: 768 },
      { kind: 'dense', units: 3072 },
      { kind: 'relu' },
      { kind: 'dense', units: 768 },
      { kind: 'relu' },
      { kind: 'dense', units: 10 },
    ],
    classes: 10,
  },
  {
    name: 'transformer-ffn',
    suffixShape: '768 → 3072 → gelu → 768 → layer-norm → 10 (softmax CE), edited layer 768 → 768',
    inputWidth: 768,
    layers: [
      { kind: 'dense', units: 768 },
      { kind: 'dense', units: 3072 },
      { kind: 'gelu' },
      { kind: 'dense', units: 768 },
      { kind: 'layer-norm' },
      { kind: 'dense', units: 10 },
    ],
    classes: 10,
  },
];

export interface EditBenchmarkConfig {
  /** Timed edits per workload and backend, after `warmUp` untimed ones. */
  readonly edits: number;
  /**
   * Untimed edits first. 1 measures a process's first edits (JavaScript still warming up in the JIT); a lifelong
   * editor that has made a few dozen edits runs at the steady state a larger count measures.
   */
  readonly warmUp: number;
  readonly iterations: number;
  readonly workloads: readonly string[];
  readonly seed: number;
}

export const defaultEditConfig: EditBenchmarkConfig = {
  edits: 5,
  warmUp: 1,
  iterations: 100,
  workloads: ['synthetic', 'lande', 'lande-dense0', 'wide', 'transformer-ffn'],
  seed: 11,
};
export const quickEditConfig: EditBenchmarkConfig = {
  ...defaultEditConfig,
  edits: 2,
  iterations: 10,
  workloads: ['synthetic'],
};

export interface EditBenchmarkRow {
  readonly backend: string;
  readonly workload: string;
  readonly suffixShape: string;
  readonly iterations: number;
  /** Wall time per edit (prefix, codebook update, training, final check), over `edits` edits. */
  readonly editMs: TimingSummary;
  readonly perIterationMs: number;
}

/**
 * Times edits workload by workload, backends interleaved edit by edit so that machine noise hits them alike.
 * Each edit targets a far-apart random input with a random label, so every edit ADDs a key and trains a
 * fresh value for the full iteration count (no early stop).
 */
export async function runEditBenchmark(
  backends: readonly NamedBackend[],
  config: EditBenchmarkConfig,
  onProgress: (message: string) => void = () => undefined,
  afterWorkload: (workload: EditWorkload) => Promise<void> = async () => undefined,
): Promise<EditBenchmarkRow[]> {
  const rows: EditBenchmarkRow[] = [];
  for (const workload of editWorkloads.filter((candidate) => config.workloads.includes(candidate.name))) {
    const model = SequentialModel.create({
      inputWidth: workload.inputWidth,
      layers: workload.layers,
      loss: workload.classes === 2 ? 'sigmoid-cross-entropy' : 'softmax-cross-entropy',
      seed: config.seed,
    });
    const editors = backends.map(
      ({ backend }) =>
        new GraceEditor(editableSequentialModel(model, 0), {
          backend,
          epsInit: 1e-3,
          training: { iterations: config.iterations },
        }),
    );
    const random = new SeededRandom(config.seed);
    const samples = backends.map(() => [] as number[]);
    try {
      for (let edit = 1 - config.warmUp; edit <= config.edits; edit++) {
        const input = random.floats(workload.inputWidth, -10, 10);
        const label = random.integer(0, workload.classes);
        for (const [position, editor] of editors.entries()) {
          const result = await editor.edit({ input, label });
          if (edit > 0) samples[position]?.push(result.milliseconds);
        }
        onProgress(`${workload.name}: edit ${edit}/${config.edits}${edit <= 0 ? ' (warm-up)' : ''}`);
      }
    } finally {
      for (const editor of editors) editor.dispose();
    }
    await afterWorkload(workload);
    backends.forEach(({ name }, position) => {
      const editMs = summarizeTimings(samples[position] as number[]);
      rows.push({
        backend: name,
        workload: workload.name,
        suffixShape: workload.suffixShape,
        iterations: config.iterations,
        editMs,
        perIterationMs: editMs.medianMs / config.iterations,
      });
    });
  }
  return rows;
}
