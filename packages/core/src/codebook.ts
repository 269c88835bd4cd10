import {
  type CodebookOptions,
  type ResolvedCodebookOptions,
  resolveCodebookOptions,
} from './codebook-options.js';
import { type AppliedChange, CodebookState, type NearestKey } from './codebook-state.js';
import type { DotProductEngine } from './dot-product-engine.js';
import type { EditPlan, EditRecord } from './edit-record.js';
import { GraceError } from './errors.js';
import { firstNonFinite } from './float32.js';
import type { GrowableRows } from './growable-rows.js';
import type { HostKeyIndexFactory } from './host-key-index.js';
import { type EditLabel, freezeLabel, validateLabel } from './labels.js';
import { createQuantizedKeyIndex } from './quantized-key-index.js';
import { SeededRandom } from './random.js';
import { replayRecords } from './replay-records.js';
import type { RowStorageProvider } from './row-storage.js';
import { RowStorageHolds } from './row-storage-holds.js';

/** One edit to make: the layer input at the key token and the label the model should produce. */
export interface EditRequest {
  /** `[Dk]`: the edited layer's input at the key token. */
  readonly query: ArrayLike<number>;
  readonly label: EditLabel;
  /**
   * `[valueDimension]`: the frozen layer's output at the key token (for `span`, at each vector's token); required
   * for `warm` initialisation of a new key.
   */
  readonly warmValue?: ArrayLike<number>;
  /** Defaults to `edit-<sequence>`. */
  readonly id?: string;
  /** Defaults to now. */
  readonly time?: Date;
  readonly inputDigest?: string;
}

/** The outcome of training an edit's value. */
export interface EditCompletion {
  /** `[valueDimension]`: the trained value; defaults to the initial value (a codebook used without training). */
  readonly value?: ArrayLike<number>;
  readonly loss?: readonly number[];
}

/** A plain copy of a codebook's contents, for files, device uploads and comparisons. */
export interface CodebookSnapshot {
  /** `[N * Dk]` row-major. */
  readonly keys: Float32Array;
  /** `[N * Dv]` row-major. */
  readonly values: Float32Array;
  /** `[N]`. */
  readonly radii: Float32Array;
  readonly labels: readonly EditLabel[];
}

/**
 * An edit whose codebook update is done and whose value is being trained. The key it routes to already exists
 * (so training sees the final geometry); `commit` stores the trained value and the record, `abort` puts the
 * codebook back exactly as it was, so a failed training never leaves a half-made edit behind.
 */
export interface PendingEdit {
  readonly plan: EditPlan;
  /** `[valueDimension]`: where training starts: a fresh value for ADD/SPLIT, the key's current value otherwise. */
  readonly initialValue: Float32Array;
  commit(completion?: EditCompletion): EditRecord;
  abort(): void;
}

/**
 * The GRACE codebook of one layer: keys, values, deferral radii and labels, plus the record of every edit.
 *
 * The host copy here is the source of truth (decisions, rollback, files); layers upload it to their backend
 * when {@link version} changes. Edits are made one at a time: {@link beginEdit} applies the KEY-ADD / SPLIT /
 * EXPAND / RETRAIN rule, the caller trains the value, then commits or aborts.
 *
 * Rollback rule: rolling back edit j replays every other recorded edit, in order, into an empty codebook.
 * Each replayed edit re-runs the decision on its stored query and label, and the key it routes to takes the
 * value that edit's training produced. Keys, radii and labels are therefore exactly what the remaining edits
 * would have made: an ADD's key disappears; an EXPAND's radius (and moving_average key position) goes back; a
 * SPLIT's key disappears and its neighbour's radius returns to its earlier size; later edits that had been
 * routed to a removed key are decided afresh (usually becoming ADDs). Values are not retrained: a key's value
 * is the one trained by the last remaining edit routed to it.
 */
export class Codebook {
  readonly options: ResolvedCodebookOptions;
  private state: CodebookState;
  private history: EditRecord[] = [];
  private nextSequence = 1;
  private changeCount = 0;
  private pending: PendingEdit | null = null;
  private dotProducts: DotProductEngine | undefined;
  private keyIndexFactory: HostKeyIndexFactory | null = createQuantizedKeyIndex;
  /** Where the rows live (see {@link holdRowsIn}). */
  private readonly rowHolds = new RowStorageHolds((provider) => this.state.moveRowsTo(provider));

  constructor(options: CodebookOptions) {
    this.options = Object.freeze(resolveCodebookOptions(options));
    this.state = new CodebookState(this.options, createQuantizedKeyIndex(this.options.keyDimension));
  }

  /** Number of keys, N. */
  get size(): number {
    return this.state.size;
  }

  get keyDimension(): number {
    return this.options.keyDimension;
  }

  get valueDimension(): number {
    return this.options.valueDimension;
  }

  /** Increases on every change of keys, values, radii or labels: device copies compare it to stay fresh. */
  get version(): number {
    return this.changeCount;
  }

  /** Every committed edit, oldest first. */
  get records(): readonly EditRecord[] {
    return this.history;
  }

  /** The sequence number the next edit gets. */
  get nextEditSequence(): number {
    return this.nextSequence;
  }

  /**
   * Live read-only views `[N * Dk]`, `[N * Dv]`, `[N]`; valid until the next change, and while the rows live in
   * a backend's memory ({@link holdRowsIn}) until the next call into that backend. Do not mutate.
   */
  keysView(): Float32Array {
    return this.state.keys.view();
  }

  valuesView(): Float32Array {
    return this.state.values.view();
  }

  radiiView(): Float32Array {
    return this.state.radii.view();
  }

  /**
   * Bytes allocated for keys, values and radii — in JavaScript's heap or, while a backend holds them
   * ({@link holdRowsIn}), in its memory — and for the host's key index of the decisions (spare capacity included;
   * labels and the edit history, which keeps each edit's query and value for rollback, are not counted).
   */
  get hostBytes(): number {
    const { keys, values, radii } = this.state;
    return keys.allocatedBytes + values.allocatedBytes + radii.allocatedBytes + this.state.keyIndexBytes;
  }

  /**
   * The live row stores behind the views, whose journals tell a backend copy which rows changed. A rollback
   * replaces them with new objects (the reader then copies everything). For `DeviceCodebook`; read only.
   * @internal
   */
  rowStores(): { readonly keys: GrowableRows; readonly values: GrowableRows; readonly radii: GrowableRows } {
    const { keys, values, radii } = this.state;
    return { keys, values, radii };
  }

  /**
   * Keeps the keys, values and radii in `provider`'s memory (a backend's `allocateRowStorage`) until the returned
   * release is called, so that the backend computes on the codebook's own rows and nothing is stored twice.
   * `DeviceCodebook` holds them for as long as it lives. Holds of one provider are counted: the rows move in
   * at the first hold (one O(N·(Dk + Dv)) copy) and back to JavaScript's heap when the last is released, so a
   * codebook never depends on a backend that nobody uses any more. While another provider holds them, a hold
   * changes nothing (its release neither). Contents, version and history are unchanged either way; a rollback
   * replays into the same provider's memory. Release is idempotent.
   * @internal
   */
  holdRowsIn(provider: RowStorageProvider): () => void {
    return this.rowHolds.hold(provider);
  }

  label(index: number): EditLabel {
    this.checkKeyIndex(index);
    return this.state.labels[index] as EditLabel;
  }

  /** Copies of one key's key `[Dk]`, value `[Dv]` and radius. */
  entry(index: number): { key: Float32Array; value: Float32Array; radius: number; label: EditLabel } {
    this.checkKeyIndex(index);
    return {
      key: this.state.keys.row(index).slice(),
      value: this.state.values.row(index).slice(),
      radius: this.state.radius(index),
      label: this.state.labels[index] as EditLabel,
    };
  }

  /** A deep copy of the contents. */
  snapshot(): CodebookSnapshot {
    return {
      keys: this.keysView().slice(),
      values: this.valuesView().slice(),
      radii: this.radiiView().slice(),
      labels: [...this.state.labels],
    };
  }

  /**
   * Hands the host-side search (every edit's decision, {@link nearest}, rollback's replay) a BLAS-class engine
   * for its norm-identity pre-select where the key index declines a query (or there is none, see
   * {@link useKeyIndex}), e.g. the one the backend searches with (`GraceBackend.dotProducts`, which
   * `GraceEditor` passes here). The chosen key and distance are rechecked exactly, so decisions never depend on
   * the engine; `undefined` goes back to the built-in float64 pre-select.
   */
  useDotProducts(engine: DotProductEngine | undefined): void {
    this.dotProducts = engine;
    this.state.dotProducts = engine;
  }

  /**
   * Chooses the exact index that every decision, {@link nearest} and rollback's replay ask first: by default
   * `createQuantizedKeyIndex` (int8 codes of the keys scanned with WebAssembly SIMD, the survivors rechecked
   * exactly; about a quarter of the float32 keys' memory), `null` for none (the norm-identity search over every
   * key). The factory makes one index per codebook state (a rollback's replay builds a fresh one); an index that
   * declines a query leaves it to that search. Answers never depend on the choice, only time and memory do.
   */
  useKeyIndex(factory: HostKeyIndexFactory | null): void {
    this.keyIndexFactory = factory;
    this.state.setKeyIndex(factory?.(this.options.keyDimension) ?? null);
  }

  /** Exact nearest key of a host query `[Dk]` (index -1 when empty). */
  nearest(query: ArrayLike<number>): NearestKey {
    this.checkQuery(query);
    return this.state.nearest(query);
  }

  /** The decision an edit would get now, without making it. */
  plan(query: ArrayLike<number>, label: EditLabel): EditPlan {
    this.checkQuery(query);
    validateLabel(label);
    return this.state.plan(query, label);
  }

  /**
   * Applies the codebook update of one edit and returns the pending edit whose value the caller trains.
   * Refuses bad input before changing anything.
   */
  beginEdit(request: EditRequest): PendingEdit {
    if (this.pending !== null) {
      throw new GraceError('EDIT_IN_PROGRESS', 'commit or abort the pending edit before starting another', {
        pending: this.pending.plan,
      });
    }
    const { query, label } = request;
    this.checkQuery(query);
    validateLabel(label);
    const sequence = this.nextSequence;
    const id = request.id ?? `edit-${sequence}`;
    if (typeof id !== 'string' || id.length === 0 || this.history.some((record) => record.id === id)) {
      throw new GraceError('INVALID_ARGUMENT', `edit id ${JSON.stringify(id)} is empty or already used`, {
        id,
      });
    }
    // Decide on the float32 query that is stored, so that a replay makes exactly the same decision.
    const storedQuery = Float32Array.from(query);
    const plan = this.state.plan(storedQuery, label);
    const createsKey = plan.operation === 'ADD' || plan.operation === 'SPLIT';
    const initialValue = createsKey
      ? this.freshValue(sequence, request.warmValue)
      : this.state.values.row(plan.keyIndex).slice();
    const storedLabel = freezeLabel(label);
    const change = this.state.applyPlan(plan, storedQuery, storedLabel, initialValue);
    this.changeCount++;
    const time = (request.time ?? new Date()).toISOString();

    const pending: PendingEdit = {
      plan,
      initialValue: initialValue.slice(),
      commit: (completion = {}) =>
        this.commitPending(pending, completion, { id, sequence, time, request, storedQuery }),
      abort: () => this.abortPending(pending, change),
    };
    this.pending = pending;
    return pending;
  }

  /** `beginEdit` and `commit` in one call, for values that are already known. */
  applyEdit(request: EditRequest, completion?: EditCompletion): EditRecord {
    return this.beginEdit(request).commit(completion);
  }

  /**
   * Removes an edit as if it had never been made (see the class documentation for the exact rule) and returns
   * its record. All or nothing: on any failure the codebook is unchanged.
   */
  rollback(editId: string): EditRecord {
    if (this.pending !== null) {
      throw new GraceError('EDIT_IN_PROGRESS', 'cannot roll back while an edit is pending', { editId });
    }
    const position = this.history.findIndex((record) => record.id === editId);
    if (position < 0)
      throw new GraceError('UNKNOWN_EDIT', `no edit with id ${JSON.stringify(editId)}`, { editId });
    const removed = this.history[position] as EditRecord;
    const remaining = this.history.filter((_, index) => index !== position);
    const keyIndex = this.keyIndexFactory?.(this.options.keyDimension) ?? null;
    const { state, records } = replayRecords(
      this.options,
      remaining,
      this.dotProducts,
      keyIndex,
      this.rowHolds.provider,
    );
    this.state.dispose();
    this.state = state;
    this.history = records;
    this.changeCount++;
    return removed;
  }

  /**
   * Builds a codebook from stored contents (a file). The caller has validated dimensions and finiteness;
   * this only assembles, so it is internal to the file format and tests.
   */
  static restore(
    options: CodebookOptions,
    snapshot: CodebookSnapshot,
    records: readonly EditRecord[],
    nextSequence: number,
  ): Codebook {
    const codebook = new Codebook(options);
    const { keyDimension, valueDimension } = codebook.options;
    const state = codebook.state;
    for (let index = 0; index < snapshot.radii.length; index++) {
      state.keys.append(snapshot.keys.subarray(index * keyDimension, (index + 1) * keyDimension));
      state.values.append(snapshot.values.subarray(index * valueDimension, (index + 1) * valueDimension));
      state.radii.append([snapshot.radii[index] as number]);
      state.labels.push(freezeLabel(snapshot.labels[index] as EditLabel));
    }
    codebook.history = records.map((record) => Object.freeze({ ...record }));
    codebook.nextSequence = nextSequence;
    return codebook;
  }

  private freshValue(sequence: number, warmValue: ArrayLike<number> | undefined): Float32Array {
    const { valueDimension, valueInitialization, seed } = this.options;
    if (valueInitialization === 'cold') return new SeededRandom(seed, sequence).floats(valueDimension, 0, 1);
    if (warmValue === undefined) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        "valueInitialization 'warm' needs the edit's warmValue [Dv]",
        {},
      );
    }
    this.checkVector(warmValue, valueDimension, 'warmValue');
    return Float32Array.from(warmValue);
  }

  private commitPending(
    pending: PendingEdit,
    completion: EditCompletion,
    context: { id: string; sequence: number; time: string; request: EditRequest; storedQuery: Float32Array },
  ): EditRecord {
    if (this.pending !== pending)
      throw new GraceError('EDIT_NOT_PENDING', 'this edit was already committed or aborted');
    const value = completion.value === undefined ? pending.initialValue : completion.value;
    this.checkVector(value, this.options.valueDimension, 'value');
    const loss = completion.loss ?? [];
    if (!Array.isArray(loss) || loss.some((item) => typeof item !== 'number' || !Number.isFinite(item))) {
      throw new GraceError('INVALID_ARGUMENT', 'loss must be an array of finite numbers', { loss });
    }
    const storedValue = Float32Array.from(value);
    this.state.values.write(pending.plan.keyIndex, storedValue);
    const { id, sequence, time, request, storedQuery } = context;
    const record: EditRecord = Object.freeze({
      ...pending.plan,
      id,
      sequence,
      time,
      label: freezeLabel(request.label),
      ...(request.inputDigest === undefined ? {} : { inputDigest: request.inputDigest }),
      loss: Object.freeze([...loss]),
      query: storedQuery,
      value: storedValue,
    });
    this.history.push(record);
    this.nextSequence = sequence + 1;
    this.changeCount++;
    this.pending = null;
    return record;
  }

  private abortPending(pending: PendingEdit, change: AppliedChange): void {
    if (this.pending !== pending)
      throw new GraceError('EDIT_NOT_PENDING', 'this edit was already committed or aborted');
    this.state.undo(change);
    this.changeCount++;
    this.pending = null;
  }

  private checkQuery(query: ArrayLike<number>): void {
    this.checkVector(query, this.options.keyDimension, 'query');
  }

  private checkVector(vector: ArrayLike<number>, length: number, name: string): void {
    if (vector === null || typeof vector !== 'object' || typeof vector.length !== 'number') {
      throw new GraceError('INVALID_ARGUMENT', `${name} must be an array of numbers`, { name });
    }
    if (vector.length !== length) {
      throw new GraceError('SHAPE_MISMATCH', `${name} has length ${vector.length}, expected ${length}`, {
        name,
        length: vector.length,
        expected: length,
      });
    }
    const bad = firstNonFinite(vector);
    if (bad >= 0) {
      throw new GraceError('NON_FINITE', `${name}[${bad}] is ${String(vector[bad])}`, {
        name,
        index: bad,
        value: vector[bad],
      });
    }
  }

  private checkKeyIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new GraceError('INVALID_ARGUMENT', `key index ${index} is outside [0, ${this.size})`, {
        index,
        size: this.size,
      });
    }
  }
}
