import onnxProto from 'onnx-proto';

const onnx = onnxProto.onnx;
const floatType = 1;
const intAttribute = 2;

/** A float32 input or output of symbolic shape, e.g. `['B', 'D']`. */
function floatValue(name: string, dimensions: readonly string[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: { elemType: floatType, shape: { dim: dimensions.map((dimParam) => ({ dimParam })) } },
    },
  };
}

/**
 * The ONNX graph of the search's product: `products [B, N] = Gemm(queries [B, D], keys [N, D], transB = 1)`,
 * so the keys are read in the row-major layout the codebook stores (no transposed copy to keep in step).
 */
export function dotProductModelBytes(): Uint8Array {
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: '@grace/search-onnxruntime',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'dot_products',
      node: [
        {
          opType: 'Gemm',
          input: ['queries', 'keys'],
          output: ['products'],
          attribute: [{ name: 'transB', type: intAttribute, i: 1 }],
        },
      ],
      input: [floatValue('queries', ['B', 'D']), floatValue('keys', ['N', 'D'])],
      output: [floatValue('products', ['B', 'N'])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
