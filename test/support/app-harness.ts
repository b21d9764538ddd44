/** What the GitHub App's end-to-end tests share: a repository, its payloads, waiting. */
import { examplePayload } from "./github.ts";

export const SECRET = "webhook-secret";
export const INSTALLATION = 4242;
export const OWNER = "octo";
export const REPO = "lib";
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export function sha(n: number): string {
  return n.toString(16).padStart(40, "0");
}

export function repository(cloneUrl = `https://github.com/${OWNER}/${REPO}.git`) {
  return {
    id: 9001,
    node_id: "R_1",
    name: REPO,
    full_name: `${OWNER}/${REPO}`,
    private: false,
    owner: { login: OWNER, id: 1, node_id: "U_1", type: "User" },
    clone_url: cloneUrl,
  };
}

export function pushPayload(after: string, branch = "main", cloneUrl?: string) {
  const payload = examplePayload("push");
  return {
    ...payload,
    ref: `refs/heads/${branch}`,
    after,
    deleted: false,
    created: false,
    repository: { ...payload.repository, ...repository(cloneUrl) },
    installation: { id: INSTALLATION, node_id: "I_1" },
  };
}

/** Polls until `probe` gives a value, or fails naming what it waited for. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 15_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
