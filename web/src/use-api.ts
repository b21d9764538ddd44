/** A GET of the API as React state: loading, its answer or its error; `reload` asks again (keeping the last answer meanwhile). */
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "./api/client.ts";

export interface ApiState<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  readonly reload: () => void;
}

export function useApi<T>(path: string | null): ApiState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(path !== null);
  const [generation, setGeneration] = useState(0);
  const shown = useRef<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new generation is how reload asks again
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    // Another path: the last answer is not this one's.
    if (shown.current !== path) setData(undefined);
    setLoading(true);
    api<T>(path, { signal: controller.signal }).then(
      (answer) => {
        shown.current = path;
        setData(answer);
        setError(undefined);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure instanceof Error ? failure : new Error(String(failure)));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}
