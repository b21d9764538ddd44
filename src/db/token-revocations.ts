/**
 * Revoked tokens told to every server: `revokeTokens` sends a PostgreSQL
 * notification in its own statement (delivered when it commits), and each
 * server listens on a connection of its own. While that connection is down a
 * server cannot hear of revocations, so it says so (`onListening(false)`) and
 * tries again every `retryMs`.
 */
import pg from "pg";

export const TOKEN_REVOKED_CHANNEL = "heimdall_token_revoked";

export interface RevocationListener {
  close(): Promise<void>;
}

export interface RevocationHandlers {
  /** A token's id, revoked now. */
  readonly onRevoked: (tokenId: string) => void;
  /** true once the listener hears notifications; false when it stops (a restart, a failover). */
  readonly onListening: (listening: boolean) => void;
  readonly onError?: (error: Error) => void;
  readonly retryMs?: number;
}

export function listenForRevocations(databaseUrl: string, handlers: RevocationHandlers): RevocationListener {
  const retryMs = handlers.retryMs ?? 1_000;
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;

  const lost = (error?: Error) => {
    if (error) handlers.onError?.(error);
    handlers.onListening(false);
    const dead = client;
    client = null;
    dead?.removeAllListeners();
    dead?.on("error", () => undefined);
    void dead?.end().catch(() => undefined);
    if (!closed && !retry)
      retry = setTimeout(() => {
        retry = null;
        void open();
      }, retryMs);
  };

  const open = async () => {
    const next = new pg.Client({ connectionString: databaseUrl });
    client = next;
    next.on("error", (error) => {
      if (client === next) lost(error);
    });
    next.on("end", () => {
      if (client === next) lost();
    });
    next.on("notification", (message) => {
      if (message.channel === TOKEN_REVOKED_CHANNEL && message.payload) handlers.onRevoked(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${TOKEN_REVOKED_CHANNEL}`);
      if (closed || client !== next) return void next.end().catch(() => undefined);
      handlers.onListening(true);
    } catch (error) {
      if (client === next) lost(error instanceof Error ? error : new Error(String(error)));
    }
  };
  void open();

  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const last = client;
      client = null;
      handlers.onListening(false);
      await last?.end().catch(() => undefined);
    },
  };
}
