/**
 * Refusing a request: a short JSON answer, and the connection closed when the
 * request's body was not read (Node would otherwise read what is left of it to
 * keep the connection alive, however large it is).
 *
 * Closed gracefully: the answer, then our end of the connection, then what the
 * client still sends is discarded (never kept) while it keeps coming (a pause of
 * LINGER_IDLE_MS ends it) and for LINGER_MAX_MS at most, before the socket is
 * destroyed. Destroying at once resets a connection whose incoming data is
 * unread, and the reset can reach a client still sending before it has read the
 * answer: it sees "connection reset", not 413. A busy client may take seconds to
 * send what is left of a large body, hence a pause, not a fixed time, ends it.
 * (nginx's lingering close: lingering_timeout and lingering_time.)
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { hasBody } from "./bounded-body.ts";

export const LINGER_IDLE_MS = 2000;
export const LINGER_MAX_MS = 30_000;

export function refuse(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const unread = hasBody(request) && !request.complete;
  // No `connection: close` header: with it Node destroys the socket as soon as the answer is written.
  response.writeHead(status, { ...headers, "content-type": "application/json" });
  response.end(JSON.stringify({ message }));
  if (!unread) return;
  const socket = request.socket;
  response.once("finish", () => {
    socket.end();
    // Flowing with no reader: the rest of the body is dropped as it comes.
    request.removeAllListeners("data");
    request.resume();
    let idle = setTimeout(() => socket.destroy(), LINGER_IDLE_MS).unref();
    const most = setTimeout(() => socket.destroy(), LINGER_MAX_MS).unref();
    request.on("data", () => {
      clearTimeout(idle);
      idle = setTimeout(() => socket.destroy(), LINGER_IDLE_MS).unref();
    });
    socket.once("close", () => {
      clearTimeout(idle);
      clearTimeout(most);
    });
  });
}
