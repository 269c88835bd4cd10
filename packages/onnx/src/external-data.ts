import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { GraceError } from '@grace/core';
import { longToNumber, type OnnxGraphProto, type OnnxTensorProto } from './onnx-proto-types.js';

/** `TensorProto.DataLocation.EXTERNAL`: the tensor's bytes live in a file beside the model. */
const externalLocation = 1;

/**
 * Reads every tensor whose bytes an exporter wrote to an external file (the dynamo exporter's `model.onnx.data`,
 * any model over protobuf's 2 GB limit) into the tensor itself, so the model can be cut, re-encoded and handed
 * to onnxruntime as bytes. Locations resolve against `directory` (the model's folder, as the ONNX spec says),
 * never the working directory; a location that leaves that folder, a missing file or a range past its end is
 * refused with `FILE_CONTENT_INVALID` naming the tensor. Initializers and constant attributes of the main graph
 * and of every subgraph are covered. Changes the proto in place; returns how many tensors were read.
 */
export async function inlineExternalData(
  graph: OnnxGraphProto,
  directory: string | undefined,
): Promise<number> {
  const tensors = externalTensors(graph);
  if (tensors.length === 0) return 0;
  if (directory === undefined) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `the model keeps ${tensors.length} tensors in external data files; read it from its path, or pass externalDataDirectory`,
      { tensor: tensors[0]?.name },
    );
  }
  const files = new Map<string, Promise<Uint8Array>>();
  for (const tensor of tensors) {
    const entries = new Map((tensor.externalData ?? []).map((entry) => [entry.key ?? '', entry.value ?? '']));
    const location = entries.get('location') ?? '';
    const filePath = resolve(directory, location);
    const inside = relative(resolve(directory), filePath);
    if (location === '' || isAbsolute(location) || inside.startsWith('..') || isAbsolute(inside)) {
      throw new GraceError(
        'FILE_CONTENT_INVALID',
        `tensor ${JSON.stringify(tensor.name)} names external data ${JSON.stringify(location)} outside the model's folder`,
        { tensor: tensor.name, location },
      );
    }
    let file = files.get(filePath);
    if (file === undefined) {
      file = readFile(filePath).then(
        (buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length),
      );
      files.set(filePath, file);
    }
    const bytes = await file.catch((error: unknown) => {
      throw new GraceError(
        'FILE_CONTENT_INVALID',
        `tensor ${JSON.stringify(tensor.name)}: cannot read external data file ${filePath}`,
        { tensor: tensor.name, location: filePath },
        { cause: error },
      );
    });
    const offset = Number(entries.get('offset') ?? 0);
    const length = entries.has('length') ? Number(entries.get('length')) : bytes.length - offset;
    if (
      !(
        Number.isInteger(offset) &&
        Number.isInteger(length) &&
        offset >= 0 &&
        offset + length <= bytes.length
      )
    ) {
      throw new GraceError(
        'FILE_CONTENT_INVALID',
        `tensor ${JSON.stringify(tensor.name)}: bytes ${offset}..${offset + length} lie outside ${filePath} (${bytes.length} bytes)`,
        { tensor: tensor.name, location: filePath, offset, length },
      );
    }
    tensor.rawData = bytes.subarray(offset, offset + length);
    tensor.dataLocation = 0;
    tensor.externalData = [];
  }
  return tensors.length;
}

function externalTensors(graph: OnnxGraphProto): OnnxTensorProto[] {
  const found: OnnxTensorProto[] = [];
  const visit = (current: OnnxGraphProto): void => {
    for (const tensor of current.initializer ?? []) {
      if (longToNumber(tensor.dataLocation as number) === externalLocation) found.push(tensor);
    }
    for (const node of current.node ?? []) {
      for (const attribute of node.attribute ?? []) {
        if (attribute.t && longToNumber(attribute.t.dataLocation as number) === externalLocation)
          found.push(attribute.t);
        for (const tensor of attribute.tensors ?? []) {
          if (longToNumber(tensor.dataLocation as number) === externalLocation) found.push(tensor);
        }
        if (attribute.g) visit(attribute.g);
        for (const subgraph of attribute.graphs ?? []) visit(subgraph);
      }
    }
  };
  visit(graph);
  return found;
}
