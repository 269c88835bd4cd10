/**
 * `@grace/core/testing/cases`: the conformance cases and the pieces to build more, free of any test framework,
 * so a browser page or a script can run them against a backend on a real device.
 */
export { adamStepCases } from './adam-step-cases.js';
export { argumentErrorCases } from './argument-error-cases.js';
export {
  assertBitsEqual,
  assertClose,
  assertEqualInts,
  assertTensorLayout,
  assertThrowsGraceError,
  assertTrue,
  ConformanceFailure,
  fail,
  toleranceBand,
  withinTolerance,
} from './assertions.js';
export { batchSizeCases, conformanceBatchSizes } from './batch-size-cases.js';
export {
  type ConformanceCase,
  type ConformanceOptions,
  defaultConformanceTolerance,
  defineConformanceCase,
  type ResolvedConformanceOptions,
  resolveConformanceOptions,
} from './conformance-case.js';
export {
  type ConformanceCaseFactory,
  conformanceCaseFactories,
  conformanceCases,
} from './conformance-cases.js';
export { DetachingRowStorage } from './detaching-row-storage.js';
export { editorCases } from './editor-cases.js';
export { executorCases } from './executor-cases.js';
export { bruteForceFiringKeys, firingKeysWithBruteForce } from './firing-key-checks.js';
export { gatherTokensCases } from './gather-tokens-cases.js';
export { graceScenarioCases } from './grace-scenario-cases.js';
export { lookupCases } from './lookup-cases.js';
export { meanTokensCases } from './mean-tokens-cases.js';
export { mirroredLookupCases } from './mirrored-lookup-cases.js';
export { nearestKeyCases } from './nearest-key-cases.js';
export { finiteDifferenceGradient } from './op-cases/finite-difference.js';
export {
  type OpCaseFloatInput,
  type OpCaseLabelsInput,
  type OpCaseSpec,
  type OpInputValues,
  opCaseTable,
} from './op-cases/op-case-table.js';
export { opCases, opForwardToleranceFloor, opGradientToleranceFloor } from './op-cases/op-cases.js';
export { type OpCaseHostInput, type PreparedOpCase, prepareOpCase } from './op-cases/prepare-op-case.js';
export { assertLookupConforms, assertNearestKeyConforms } from './reference-checks.js';
export {
  type ReferenceAdamState,
  type ReferenceArray,
  type ReferenceLookup,
  type ReferenceLookupArguments,
  type ReferenceNearestKey,
  referenceAdamStep,
  referenceFires,
  referenceGatherTokens,
  referenceLookup,
  referenceMeanTokens,
  referenceNearestKey,
  referenceReplace,
  referenceSquaredDistances,
  replacesToken,
  replacingChunk,
} from './reference-kernels.js';
export { referenceErf } from './reference-ops/reference-erf.js';
export { type ReferenceOp, type ReferenceOps, type ReferenceResult, referenceOps } from './reference-ops.js';
export { routingCases, routingMagnitudes, routingWidths } from './routing-cases.js';
export { rowStorageCases } from './row-storage-cases.js';
export { spanLookupCases } from './span-lookup-cases.js';
export { spanTrainingCases } from './span-training-cases.js';
export { foreignTensor, specialFloat32Values, tensorCases } from './tensor-cases.js';
export { defineScopedCase, TensorScope, withTensorScope } from './tensor-scope.js';
export { type TrackedBackend, trackTensors } from './tensor-tracker.js';
export { type TaggerInput, tokenTaggerModel } from './token-tagger-model.js';
