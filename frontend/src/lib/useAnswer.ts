"use client";

import { useCallback, useEffect, useState } from "react";

export interface Answer<T> {
  /** The latest answer (kept while a newer request is on its way). */
  data: T | null;
  /** The latest request's error, null once one succeeds. */
  error: unknown;
  /** True until the current `load` has answered. */
  loading: boolean;
  /** Asks the same `load` again. */
  reload: () => void;
}

interface Settled<T> {
  load: () => Promise<T>;
  version: number;
  data: T | null;
  error: unknown;
}

/**
 * What `load` answers, asked after the page renders and again whenever `load` changes (keep it
 * stable with useCallback, its dependencies being the request's parameters). An answer that
 * arrives after a newer request was made, or after the component left, is dropped.
 */
export function useAnswer<T>(load: () => Promise<T>): Answer<T> {
  const [version, setVersion] = useState(0);
  const [settled, setSettled] = useState<Settled<T> | null>(null);
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setSettled({ load, version, data, error: null }),
      (error: unknown) => current && setSettled((s) => ({ load, version, data: s?.data ?? null, error })),
    );
    return () => {
      current = false;
    };
  }, [load, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const loading = settled?.load !== load || settled.version !== version;
  return { data: settled?.data ?? null, error: settled?.error ?? null, loading, reload };
}
