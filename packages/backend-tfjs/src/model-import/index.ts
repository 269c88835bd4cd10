export type { TfjsGraphCut, TfjsGraphEditAt } from './cut-tfjs-graph-model.js';
export type { GraphModelLike } from './graph-model-topology.js';
export { type HostTensor, lengthsFromMask } from './host-tensor.js';
export {
  type LoadTfjsGraphModelOptions,
  loadTfjsGraphModel,
  type TfjsGraphEditableModel,
} from './load-tfjs-graph-model.js';
export {
  type LayersModelLike,
  type LoadTfjsLayersModelOptions,
  loadTfjsLayersModel,
  type TensorFlowWithLayers,
} from './load-tfjs-layers-model.js';
export {
  lossOutputName,
  type TfjsModelLoss,
  type TfjsSuffixLossOptions,
  targetInputName,
} from './suffix-loss.js';
export {
  type TfjsEditableModel,
  type TfjsEditPoint,
  type TfjsLoadCommonOptions,
  type TfjsModelVerification,
  type TfjsPrefixValues,
  verifyTfjsEditableModel,
} from './tfjs-editable-model.js';
