/**
 * The server's change feed (GET /api/v1/events, Server-Sent Events): `build`
 * events name a build that changed. The browser reconnects on its own when
 * the stream drops; a reconnect calls back too, as changes may have been missed.
 */
import { useEffect, useRef } from "react";

export interface BuildChanged {
  readonly id: string;
  readonly repository: string;
}

export function useBuildEvents(onChange: (event: BuildChanged | null) => void): void {
  const callback = useRef(onChange);
  callback.current = onChange;
  useEffect(() => {
    const source = new EventSource("/api/v1/events", { withCredentials: true });
    let opened = false;
    source.addEventListener("open", () => {
      // A reconnect: whatever happened meanwhile is unknown.
      if (opened) callback.current(null);
      opened = true;
    });
    source.addEventListener("build", (message) => {
      callback.current(JSON.parse((message as MessageEvent<string>).data) as BuildChanged);
    });
    return () => source.close();
  }, []);
}
