/** The API's builds as JSON: zod schemas that check answers and make the OpenAPI document. */
import { z } from "zod";

const Id = z.string().regex(/^\d{1,18}$/);
const Time = z.iso.datetime({ offset: true });

export const BuildStatus = z.enum(["queued", "in_progress", "completed"]).meta({
  id: "BuildStatus",
  description:
    "queued: no cell started yet; in_progress: some started, some still to finish; completed: none queued or running",
});
export const BuildConclusion = z.enum(["success", "failure", "cancelled", "action_required", "neutral"]).meta({
  id: "BuildConclusion",
  description:
    "Once completed: failure when a cell failed or timed out, else action_required when one waits for approval, else cancelled when one was cancelled, else neutral when one passed with another standard than its name says, else success",
});

export const CellCounts = z
  .object({
    total: z.number().int(),
    queued: z.number().int(),
    in_progress: z.number().int(),
    waiting_approval: z.number().int(),
    success: z.number().int(),
    failure: z.number().int(),
    timed_out: z.number().int(),
    cancelled: z.number().int(),
    skipped: z.number().int(),
    neutral: z.number().int(),
    action_required: z.number().int(),
  })
  .meta({ id: "CellCounts", description: "The build's cells by their latest attempt" });

export const Build = z
  .object({
    id: Id,
    repository: z.string().describe("owner/name"),
    commit: z.string().regex(/^[0-9a-f]{40}$/),
    branch: z.string().nullable(),
    pull_request: z.number().int().nullable(),
    event: z.string().describe("push, pull_request or api"),
    fork: z.boolean(),
    superseded_by: Id.nullable(),
    requested_by: z
      .string()
      .nullable()
      .describe("The API token's name that asked for it (POST /builds); null for a webhook's build"),
    cancelled_by: z.string().nullable().describe("The API token's name that cancelled it (DELETE /builds/{id})"),
    sender: z
      .string()
      .nullable()
      .describe("The GitHub login whose push or pull request it builds; null for a build asked for through the API"),
    status: BuildStatus,
    conclusion: BuildConclusion.nullable(),
    created_at: Time,
    started_at: Time.nullable(),
    completed_at: Time.nullable(),
    duration_ms: z
      .number()
      .int()
      .nullable()
      .describe("From its first cell's start to its last cell's end, once completed"),
    cell_counts: CellCounts,
    html_url: z.string().describe("The build's page"),
    commit_url: z.string().describe("The commit on GitHub"),
    url: z.string().describe("This build in the API"),
  })
  .meta({ id: "Build" });

export const TestCounts = z
  .object({ passed: z.number().int(), failed: z.number().int(), skipped: z.number().int() })
  .meta({ id: "TestCounts" });

export const Attempt = z
  .object({
    id: Id,
    number: z.number().int(),
    state: z.enum(["waiting_approval", "queued", "in_progress", "completed"]),
    conclusion: z.string().nullable(),
    title: z.string().nullable(),
    worker: z.string().nullable(),
    created_at: Time,
    started_at: Time.nullable(),
    completed_at: Time.nullable(),
    queue_wait_ms: z.number().int().nullable().describe("From queued to started (so far, while it waits)"),
    duration_ms: z.number().int().nullable().describe("From started to completed (so far, while it runs)"),
    standard_mismatch: z
      .boolean()
      .describe("Built with another standard than the cell's name says (the matrix check's ≠)"),
    errors: z.number().int().nullable(),
    warnings: z.number().int().nullable(),
    tests: TestCounts.nullable().describe("Null when the attempt has no test results"),
    check_run_url: z.string().nullable(),
    log_url: z.string().describe("Its log in the API (text/plain)"),
  })
  .meta({ id: "Attempt" });

export const Cell = z
  .object({
    id: Id,
    key: z.string().describe("The cell's stable id, e.g. linux-gcc-12-cxx17-release"),
    name: z.string(),
    platform: z.string(),
    compiler: z.string().describe("e.g. gcc-12"),
    cxx_standard: z.number().int().nullable(),
    c_standard: z.number().int().nullable(),
    build_type: z.string(),
    llvm: z.number().int().nullable(),
    axes: z.record(z.string(), z.string()).describe("Custom axes' values"),
    variant: z
      .string()
      .describe("Its LLVM release, custom axes, sanitizers and coverage as its name shows them: the grid's row"),
    sanitizers: z.array(z.string()),
    coverage: z.boolean(),
    tests: z.boolean(),
    skip_reason: z.string().nullable(),
    state: z.enum(["waiting_approval", "queued", "in_progress", "completed"]),
    conclusion: z.string().nullable(),
    attempts: z.array(Attempt),
  })
  .meta({ id: "Cell" });

export const BuildDetail = Build.extend({ cells: z.array(Cell) }).meta({ id: "BuildDetail" });

export const BuildPage = z
  .object({
    builds: z.array(Build),
    next_cursor: z.string().nullable().describe("Give it as `cursor` for the next page; null on the last"),
  })
  .meta({ id: "BuildPage" });

export const BuildParams = z.object({ id: Id });
