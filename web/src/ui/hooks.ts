import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type FieldErrors } from '../api.js';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads data for a screen and reloads when `deps` change. With `pollMs`, it
 * refreshes while the tab is visible (there is no push channel yet).
 */
export function useResource<T>(loader: (signal: AbortSignal) => Promise<T>, deps: unknown[], options: { pollMs?: number } = {}): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loaderRef = useRef(loader);
  loaderRef.current = loader;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    loaderRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);

  useEffect(() => {
    if (!options.pollMs) return;
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') setTick((n) => n + 1);
    }, options.pollMs);
    return () => window.clearInterval(timer);
  }, [options.pollMs]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}

export interface Submit<A extends unknown[], R> {
  run: (...args: A) => Promise<R | undefined>;
  busy: boolean;
  error: unknown;
  fieldErrors: FieldErrors;
  reset: () => void;
}

/**
 * Wraps a form action: tracks busy state, keeps the error (field errors apart),
 * and resolves undefined instead of throwing, so forms never lose their input.
 */
export function useSubmit<A extends unknown[], R>(action: (...args: A) => Promise<R>): Submit<A, R> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const actionRef = useRef(action);
  actionRef.current = action;

  const run = useCallback(async (...args: A) => {
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      return await actionRef.current(...args);
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) setFieldErrors(err.fieldErrors);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const reset = useCallback(() => {
    setError(null);
    setFieldErrors({});
  }, []);
  return { run, busy, error, fieldErrors, reset };
}
