/**
 * What a check run says for each state of an attempt: the body of the Checks
 * API's create/update request. Pure: the reporter sends it.
 */
import { placesWords } from "../schedule/max-parallel.ts";
import type { Annotation } from "./annotations.ts";
import { fitAnnotation, fitCheckRun, GITHUB_LIMITS } from "./github-limits.ts";

export type AttemptView = {
  readonly attemptId: string;
  readonly number: number;
  readonly name: string;
  readonly headSha: string;
  readonly platform: string;
  readonly state: "waiting_approval" | "queued" | "in_progress" | "completed";
  readonly conclusion: string | null;
  /** The worker's title for a finished attempt; the conclusion's word when absent. */
  readonly title: string | null;
  readonly summary: string | null;
  readonly skipReason: string | null;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly detailsUrl: string | null;
  /** The running attempt's live log (a signed link), when the server can serve one. */
  readonly liveLogUrl?: string | null;
  /** Its build's max_parallel (null: no limit): a queued cell may be waiting for a place, not for a worker. */
  readonly maxParallel?: number | null;
};

export interface CheckRunAction {
  readonly label: string;
  readonly description: string;
  readonly identifier: string;
}

export interface CheckRunBody {
  name: string;
  head_sha: string;
  external_id: string;
  details_url?: string;
  status: "queued" | "in_progress" | "completed";
  conclusion?: string;
  started_at?: string;
  completed_at?: string;
  output: { title: string; summary: string; annotations?: CheckRunAnnotation[] };
  actions?: CheckRunAction[];
}

/** An annotation as the Checks API takes it. */
export interface CheckRunAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "failure" | "warning" | "notice";
  message: string;
  title?: string;
  raw_details?: string;
}

export const ANNOTATIONS_PER_REQUEST = GITHUB_LIMITS.annotationsPerRequest;

export const RERUN_ACTION: CheckRunAction = {
  label: "Re-run",
  description: "Run this cell again",
  identifier: "rerun",
};

export const APPROVE_ACTION: CheckRunAction = {
  label: "Approve and run",
  description: "Run this fork's commit (write access)",
  identifier: "approve",
};

/** What GitHub has been told, to skip writes that would change nothing. */
export function syncSignature(view: Pick<AttemptView, "state" | "conclusion">): string {
  return `${view.state}:${view.conclusion ?? ""}`;
}

/** The body for the attempt's state, within GitHub's limits whatever the worker wrote. */
export function checkRunBody(view: AttemptView): CheckRunBody {
  return fitCheckRun(unboundedBody(view));
}

function unboundedBody(view: AttemptView): CheckRunBody {
  const base = {
    name: view.name,
    head_sha: view.headSha,
    external_id: view.attemptId,
    ...(view.detailsUrl ? { details_url: view.detailsUrl } : {}),
  };
  const attempt = view.number > 1 ? ` (attempt ${view.number})` : "";
  switch (view.state) {
    case "queued":
      return {
        ...base,
        status: "queued",
        output: {
          title: `Queued${attempt}`,
          summary: `Waiting for a ${view.platform} worker${view.maxParallel ? `; ${placesWords(view.maxParallel)}` : ""}.`,
        },
      };
    case "waiting_approval":
      return {
        ...base,
        status: "completed",
        conclusion: "action_required",
        completed_at: (view.completedAt ?? new Date()).toISOString(),
        output: {
          title: "Waiting for approval",
          summary:
            "This commit comes from a fork. Someone with write access to the repository can run it with **Approve and run**; until then nothing of it is built.",
        },
        actions: [APPROVE_ACTION],
      };
    case "in_progress":
      return {
        ...base,
        status: "in_progress",
        ...(view.startedAt ? { started_at: view.startedAt.toISOString() } : {}),
        output: {
          title: `Building${attempt}`,
          summary: `Running on a ${view.platform} worker.${view.liveLogUrl ? ` [Live log](${view.liveLogUrl})` : ""}`,
        },
      };
    case "completed": {
      const conclusion = view.conclusion ?? "neutral";
      const summary =
        conclusion === "skipped"
          ? `Skipped: ${view.skipReason ?? "not built"}.`
          : (view.summary ?? `Finished: ${conclusion}.`);
      return {
        ...base,
        status: "completed",
        conclusion,
        ...(view.startedAt ? { started_at: view.startedAt.toISOString() } : {}),
        completed_at: (view.completedAt ?? new Date()).toISOString(),
        output: {
          title: view.title ? `${view.title}${attempt}` : completedTitle(conclusion, attempt),
          summary,
        },
        ...(conclusion === "failure" || conclusion === "cancelled" || conclusion === "timed_out"
          ? { actions: [RERUN_ACTION] }
          : {}),
      };
    }
  }
}

function completedTitle(conclusion: string, attempt: string): string {
  const words: Record<string, string> = {
    success: "Passed",
    failure: "Failed",
    cancelled: "Cancelled",
    timed_out: "Timed out",
    skipped: "Skipped",
    neutral: "Finished",
  };
  return `${words[conclusion] ?? conclusion}${attempt}`;
}

/** Annotations in the Checks API's shape and sizes, in batches of 50 (one request each). */
export function annotationBatches(annotations: readonly Annotation[]): CheckRunAnnotation[][] {
  const shaped = annotations.map(
    (a): CheckRunAnnotation =>
      fitAnnotation({
        path: a.path,
        start_line: a.start_line,
        end_line: a.end_line,
        ...(a.start_column !== null && a.start_line === a.end_line ? { start_column: a.start_column } : {}),
        ...(a.end_column !== null && a.start_line === a.end_line ? { end_column: a.end_column } : {}),
        annotation_level: a.annotation_level,
        message: a.message,
        title: a.title,
        ...(a.raw_details ? { raw_details: a.raw_details } : {}),
      }),
  );
  const batches: CheckRunAnnotation[][] = [];
  for (let i = 0; i < shaped.length; i += ANNOTATIONS_PER_REQUEST)
    batches.push(shaped.slice(i, i + ANNOTATIONS_PER_REQUEST));
  return batches;
}
