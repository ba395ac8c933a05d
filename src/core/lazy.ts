/**
 * A service whose module loads on first use: every method call waits for
 * `load` (once) and then calls the real method. Only for services whose
 * methods all return promises; keeps an idle daemon from loading (and
 * holding in memory) code that most runs never need, such as the builder
 * and the registry client.
 */
export function lazyService<T extends object>(load: () => Promise<T>): T {
  let loading: Promise<T> | undefined;
  const service = () => {
    loading ??= load();
    return loading;
  };
  return new Proxy({} as T, {
    get(_target, method) {
      // Not a thenable (an async function may return the service) and no symbol protocols.
      if (method === 'then' || typeof method === 'symbol') return undefined;
      return async (...args: unknown[]) => {
        const real = await service();
        const fn = (real as Record<PropertyKey, unknown>)[method];
        if (typeof fn !== 'function') throw new TypeError(`${String(method)} is not a method`);
        return fn.apply(real, args);
      };
    },
  });
}
