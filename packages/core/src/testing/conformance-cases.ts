import { adamStepCases } from './adam-step-cases.js';
import { argumentErrorCases } from './argument-error-cases.js';
import { baselineCases } from './baseline-cases.js';
import { batchSizeCases } from './batch-size-cases.js';
import { compiledValueStepCases } from './compiled-value-step-cases.js';
import {
  type ConformanceCase,
  type ConformanceOptions,
  type ResolvedConformanceOptions,
  resolveConformanceOptions,
} from './conformance-case.js';
import { editorCases } from './editor-cases.js';
import { evaluationCases } from './evaluation-cases.js';
import { executorCases } from './executor-cases.js';
import { gatherTokensCases } from './gather-tokens-cases.js';
import { graceScenarioCases } from './grace-scenario-cases.js';
import { lookupCases } from './lookup-cases.js';
import { lowRankLookupCases } from './low-rank-lookup-cases.js';
import { meanTokensCases } from './mean-tokens-cases.js';
import { mirroredLookupCases } from './mirrored-lookup-cases.js';
import { nearestKeyCases } from './nearest-key-cases.js';
import { opCases } from './op-cases/op-cases.js';
import { routingCases } from './routing-cases.js';
import { rowMirrorCases } from './row-mirror-cases.js';
import { rowStorageCases } from './row-storage-cases.js';
import { searchedMirrorCases } from './searched-mirror-cases.js';
import { spanLookupCases } from './span-lookup-cases.js';
import { spanTrainingCases } from './span-training-cases.js';
import { tensorCases } from './tensor-cases.js';

/** Makes one group of cases from the resolved options; the unit the suite is assembled from. */
export type ConformanceCaseFactory = (options: ResolvedConformanceOptions) => ConformanceCase[];

/**
 * Every group of cases, in the order they run: handles first (everything else relies on them), then each
 * kernel, then the suffix-graph ops (forward and gradient), then the argument errors, then GRACE end to end
 * (codebook + layer on the backend; routing truth at every magnitude and width): last, so that a backend
 * whose kernels fail is reported by the kernel cases first.
 */
export const conformanceCaseFactories: readonly ConformanceCaseFactory[] = [
  tensorCases,
  gatherTokensCases,
  meanTokensCases,
  nearestKeyCases,
  lookupCases,
  batchSizeCases,
  spanLookupCases,
  rowMirrorCases,
  searchedMirrorCases,
  mirroredLookupCases,
  rowStorageCases,
  lowRankLookupCases,
  adamStepCases,
  opCases,
  argumentErrorCases,
  graceScenarioCases,
  routingCases,
  executorCases,
  compiledValueStepCases,
  spanTrainingCases,
  editorCases,
  evaluationCases,
  baselineCases,
];

/**
 * The whole conformance suite as plain cases, for any runner: `runBackendConformance` under vitest, or a
 * loop in a browser page that awaits `testCase.run(backend)` and reports what throws.
 */
export function conformanceCases(options?: ConformanceOptions): ConformanceCase[] {
  const resolved = resolveConformanceOptions(options);
  return conformanceCaseFactories.flatMap((factory) => factory(resolved));
}
