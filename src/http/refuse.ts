/**
 * Refusing a request: a short JSON answer in the API's error shape, and the connection closed when the
 * request's body was not read (Node would otherwise read what is left of it to
 * keep the connection alive, however large it is).
 *
 * Closed gracefully (nginx's lingering close): the whole answer is written
 * (with its length, so the client has all of it), then what the client still
 * sends is discarded (never kept) while it keeps coming (a pause of
 * LINGER_IDLE_MS ends it) and for LINGER_MAX_MS at most; only then is the
 * response ended and the connection closed. Closing at once resets a
 * connection whose incoming data is unread, and the reset can reach a client
 * still sending before it has read the answer: it sees "connection reset" or
 * EPIPE, not 413. Ending the response at once does the same: Node closes the
 * connection of a response that ends before its request (a chunked one) did.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { codeOfStatus, errorBody } from "../api/errors.ts";
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
  const body = JSON.stringify(errorBody(codeOfStatus(status), message));
  const unread = hasBody(request) && !request.complete;
  // No `connection: close` header: with it Node destroys the socket as soon as the answer is written.
  response.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
  });
  if (!unread) {
    response.end(body);
    return;
  }
  response.write(body);
  // Flowing with no reader: the rest of the body is dropped as it comes.
  request.removeAllListeners("data");
  request.resume();
  const socket = request.socket;
  const close = () => {
    response.end();
    socket.destroySoon();
  };
  let idle = setTimeout(close, LINGER_IDLE_MS).unref();
  const most = setTimeout(close, LINGER_MAX_MS).unref();
  request.on("data", () => {
    clearTimeout(idle);
    idle = setTimeout(close, LINGER_IDLE_MS).unref();
  });
  socket.once("close", () => {
    clearTimeout(idle);
    clearTimeout(most);
  });
}
