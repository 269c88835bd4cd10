import type { TensorFlow } from '../tensorflow.js';

/** A signalling NaN, the pattern an arithmetic path is likeliest to change (it quietens it). */
const signallingNaNBits = 0x7f800001;

const verdicts = new WeakMap<TensorFlow, Map<string, boolean>>();

/**
 * Whether the row copies `lookup` assembles its output with (`concat`, `gather`, and `where` on the indices) keep
 * float32 bit patterns exactly on the active tfjs backend, which deferred rows need. The wasm backend copies raw
 * words; the cpu backend goes through JavaScript numbers, which quieten signalling NaNs (0x7f800001 becomes
 * 0x7fc00001). Asked once per tfjs backend name with a tiny
 * probe, since the user may switch tfjs backends after creating this one.
 */
export function selectPreservesBits(tf: TensorFlow): boolean {
  const backendName = tf.getBackend();
  let byBackend = verdicts.get(tf);
  if (byBackend === undefined) {
    byBackend = new Map();
    verdicts.set(tf, byBackend);
  }
  const known = byBackend.get(backendName);
  if (known !== undefined) return known;
  const probe = new Float32Array(new Uint32Array([signallingNaNBits, 0x80000000, 0x00000001]).buffer);
  const selected = tf.tidy(() => {
    const kept = tf.tensor2d(probe.slice(), [probe.length, 1], 'float32');
    const table = tf.concat([kept, tf.zerosLike(kept)], 0);
    const rows = tf.where(
      tf.zeros([probe.length], 'bool'),
      tf.fill([probe.length], 0, 'int32'),
      tf.range(0, probe.length, 1, 'int32'),
    );
    return tf.where(
      tf.zeros([probe.length], 'bool'),
      tf.zeros([probe.length]),
      tf.reshape(tf.gather(table, rows), [probe.length]),
    );
  });
  const bits = new Uint32Array((selected.dataSync() as Float32Array).slice().buffer);
  selected.dispose();
  const preserves = bits.every((word, element) => word === new Uint32Array(probe.buffer)[element]);
  byBackend.set(backendName, preserves);
  return preserves;
}
