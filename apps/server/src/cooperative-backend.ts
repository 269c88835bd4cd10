import type { GraceBackend } from '@grace/core';

/**
 * The same backend, except that every read-back first lets the event loop run. Value training reads its loss
 * back once per Adam iteration, so an edit training on this backend gives pending HTTP requests (predictions
 * above all) a turn between iterations instead of holding the process for the whole edit. Tensors are still
 * the wrapped backend's, so both views can share them.
 *
 * Backends are frozen objects (or class instances), so this builds a new object of bound members rather than
 * a Proxy, which may not change a frozen target's properties.
 */
export function cooperativeBackend(backend: GraceBackend): GraceBackend {
  const members: Record<string, unknown> = {};
  for (let source: object | null = backend; source !== null && source !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(source)) {
      if (name === 'constructor' || name in members) continue;
      const value: unknown = Reflect.get(backend, name);
      members[name] = typeof value === 'function' ? value.bind(backend) : value;
    }
    source = Object.getPrototypeOf(source) as object | null;
  }
  const download: GraceBackend['download'] = async (tensor) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return backend.download(tensor);
  };
  return Object.freeze({ ...members, download }) as unknown as GraceBackend;
}
