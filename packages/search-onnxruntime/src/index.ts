export {
  createOnnxruntimeDotProducts,
  type OnnxruntimeDotProductsOptions,
} from './onnxruntime-dot-products.js';
