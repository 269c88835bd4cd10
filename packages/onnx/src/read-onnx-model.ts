import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GraceError } from '@grace/core';
import { inlineExternalData } from './external-data.js';
import { type OnnxModelProto, onnx } from './onnx-proto-types.js';

/** A decoded ONNX model plus the default-domain opset version, which decides several ops' semantics. */
export interface OnnxModel {
  readonly proto: OnnxModelProto;
  /** The `ai.onnx` opset the model was exported with. */
  readonly opset: number;
  /** Where it was read from, for messages and for writing the codebook beside it. */
  readonly path?: string;
}

/** Options of {@link readOnnxModel}. */
export interface ReadOnnxModelOptions {
  /**
   * Where the model's external data files are (the folder the model was saved in). Defaults to the folder of
   * the model's path; needed only when bytes of a model with external data are passed.
   */
  readonly externalDataDirectory?: string;
}

/**
 * Decodes ONNX bytes (or reads a file). Protobuf is permissive — many byte strings decode to *something* — so
 * this also checks that a graph with nodes and outputs came out, and refuses anything else with
 * `FILE_CONTENT_INVALID` rather than failing later with an obscure message. Tensors kept in external data files
 * (the dynamo exporter writes `model.onnx.data` beside the model) are read in, resolved against the model's
 * folder, so the model can be cut and run from bytes.
 */
export async function readOnnxModel(
  pathOrBytes: string | Uint8Array,
  options: ReadOnnxModelOptions = {},
): Promise<OnnxModel> {
  const path = typeof pathOrBytes === 'string' ? pathOrBytes : undefined;
  const bytes = typeof pathOrBytes === 'string' ? new Uint8Array(await readFile(pathOrBytes)) : pathOrBytes;
  let proto: OnnxModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new GraceError(
      'FILE_CONTENT_INVALID',
      `not an ONNX model: ${(error as Error).message}`,
      { path },
      {
        cause: error,
      },
    );
  }
  const graph = proto.graph;
  if (
    graph === null ||
    graph === undefined ||
    (graph.node ?? []).length === 0 ||
    (graph.output ?? []).length === 0
  ) {
    throw new GraceError('FILE_CONTENT_INVALID', 'not an ONNX model: no graph with nodes and outputs', {
      path,
    });
  }
  await inlineExternalData(
    graph,
    options.externalDataDirectory ?? (path === undefined ? undefined : dirname(path)),
  );
  const defaultOpset = (proto.opsetImport ?? []).find(
    (entry) => (entry.domain ?? '') === '' || entry.domain === 'ai.onnx',
  );
  const opset = Number(defaultOpset?.version ?? 1);
  return path === undefined ? { proto, opset } : { proto, opset, path };
}

/** Encodes a model proto to bytes for onnxruntime or a file. */
export function encodeOnnxModel(proto: OnnxModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}
