import {
  type EditableModel,
  type GraceBackend,
  type GraceEditorOptions,
  layerValueDimension,
} from '@grace/core';

/** A JSON schema fragment as fastify and OpenAPI read it. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** A label the HTTP API accepts: the served model's classes are named by numbers or strings. */
export type ServedLabel = number | string;

/**
 * Everything the HTTP layer needs to know about the model it serves, beyond what the editor needs: how one
 * input looks in JSON (for schema validation, OpenAPI and the web page), which labels exist (so an edit with
 * an unknown label is refused before any training), and how a JSON input becomes the model's own input.
 * Keeping this apart from the server means that changing the served model (the synthetic classifier today,
 * lande tomorrow) is one new factory, not a change to routes, the edit log or the page.
 */
export interface ServedModel<Input = unknown> {
  /** Shown at start, in /v1/model, /metrics and the page; stored in the edit log so a log is not replayed
   * onto another model. */
  readonly name: string;
  readonly description: string;
  readonly model: EditableModel<Input>;
  /** The schema of ONE input of a request (the body holds arrays of these). */
  readonly inputSchema: JsonSchema;
  /** Every label the model can produce and be corrected to. */
  readonly labels: readonly ServedLabel[];
  /** GRACE settings for this model (eps_init, value training); the backend and codebook come from the server. */
  readonly editorOptions: Omit<GraceEditorOptions, 'backend' | 'codebook' | 'onProgress'>;
  /** Inputs to show on the page and to use in load tests, as JSON. */
  readonly exampleInputs: readonly unknown[];
  /**
   * Turns an already schema-checked JSON input into the model's input, refusing what a schema cannot say
   * (e.g. non-finite numbers) with an {@link InputError} that names `field`.
   */
  toModelInput(json: unknown, field: string): Input;
}

/** What a factory of a served model gets from the server. */
export interface ServedModelContext {
  readonly backend: GraceBackend;
  readonly seed: number;
}

/** Makes a served model; may take a while (loading weights, or training a small model at start-up). */
export type ServedModelFactory = (context: ServedModelContext) => Promise<ServedModel>;

/**
 * What a codebook and an edit log of this model hold: the layer, Dk, and the value width — the model's Dv
 * times the editor's `spanLength` (replacement `span` stores several vectors per value).
 */
export function servedDimensions(servedModel: ServedModel): {
  readonly keyDimension: number;
  readonly valueDimension: number;
  readonly layerId: string;
} {
  const { model, editorOptions } = servedModel;
  return {
    keyDimension: model.keyDimension,
    valueDimension: layerValueDimension(model.valueDimension, editorOptions),
    layerId: model.layerId,
  };
}
