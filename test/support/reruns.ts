/** What GitHub sends when someone asks for a re-run: signed and posted to a test server's webhook endpoint. */
import { INSTALLATION, repository, SECRET } from "./app-harness.ts";
import { examplePayload, sendWebhook } from "./github.ts";

/** "Re-run" on a check run (a cell's, or the matrix check's: every cell that did not pass); the server's status. */
export function rerequestCheckRun(
  serverUrl: string,
  run: { readonly id: number; readonly external_id: string | null },
  head: string,
): Promise<number> {
  const payload = examplePayload("check_run.rerequested");
  return sendWebhook(`${serverUrl}/api/github/webhooks`, SECRET, "check_run", {
    ...payload,
    check_run: { ...payload.check_run, id: run.id, external_id: run.external_id, head_sha: head },
    repository: { ...payload.repository, ...repository() },
    installation: { id: INSTALLATION, node_id: "I_1" },
  } as never);
}

/** "Re-run all jobs" of a commit's check suite: every finished cell again; the server's status. */
export function rerequestCheckSuite(serverUrl: string, head: string): Promise<number> {
  const payload = examplePayload("check_suite.rerequested" as "check_suite");
  return sendWebhook(`${serverUrl}/api/github/webhooks`, SECRET, "check_suite", {
    ...payload,
    action: "rerequested",
    check_suite: { ...payload.check_suite, head_sha: head },
    repository: { ...payload.repository, ...repository() },
    installation: { id: INSTALLATION, node_id: "I_1" },
  } as never);
}
