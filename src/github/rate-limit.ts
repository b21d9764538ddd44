/** What GitHub's rate-limit answers ask for: how long to wait before a write may be tried again. */

/**
 * How long GitHub asks to wait before `error`'s request may be retried, in ms,
 * or undefined when the error is not a rate limit. `attempt` counts the retries
 * already made (0 for the first failure); a secondary limit without a header
 * waits `secondaryWaitMs`, doubled for each further attempt.
 *
 * Reads an Octokit `RequestError`'s shape (`status`, `response.headers`,
 * `message`), so errors of any Octokit version are understood.
 */
export function rateLimitWaitMs(
  error: unknown,
  attempt: number,
  secondaryWaitMs: number,
  now = Date.now(),
): number | undefined {
  const status = statusOf(error);
  if (status !== 403 && status !== 429) return undefined;
  const headers = headersOf(error);
  const retryAfter = headers["retry-after"];
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const remaining = headers["x-ratelimit-remaining"];
  const reset = Number(headers["x-ratelimit-reset"]);
  if (remaining === "0" && Number.isFinite(reset) && headers["x-ratelimit-reset"] !== undefined) {
    return Math.max(0, reset * 1000 - now);
  }
  if (status === 429 || /secondary rate limit|abuse detection/i.test(messageOf(error))) {
    return secondaryWaitMs * 2 ** attempt;
  }
  return undefined;
}

export function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

function headersOf(error: unknown): Record<string, string | undefined> {
  const headers = (error as { response?: { headers?: unknown } }).response?.headers;
  const result: Record<string, string | undefined> = {};
  if (typeof headers !== "object" || headers === null) return result;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === "string" || typeof value === "number") result[name.toLowerCase()] = String(value);
  }
  return result;
}

function messageOf(error: unknown): string {
  const own = (error as { message?: unknown }).message;
  const data = (error as { response?: { data?: unknown } }).response?.data;
  const fromBody =
    typeof data === "object" && data !== null
      ? (data as { message?: unknown }).message
      : typeof data === "string"
        ? data
        : "";
  return `${typeof own === "string" ? own : ""}\n${typeof fromBody === "string" ? fromBody : ""}`;
}
