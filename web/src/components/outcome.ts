/** Colours and words of outcomes, shared by chips, the mini grid and the matrix grid. */
export type Tone = "success" | "error" | "warning" | "info" | "default";

export function toneOf(outcome: string | null): Tone {
  switch (outcome) {
    case "success":
      return "success";
    case "failure":
    case "timed_out":
      return "error";
    case "neutral":
    case "action_required":
    case "waiting_approval":
      return "warning";
    case "in_progress":
    case "queued":
      return "info";
    default:
      return "default";
  }
}

const WORDS: Readonly<Record<string, string>> = {
  success: "passed",
  failure: "failed",
  timed_out: "timed out",
  cancelled: "cancelled",
  skipped: "skipped",
  neutral: "passed with another standard",
  action_required: "waiting for approval",
  waiting_approval: "waiting for approval",
  queued: "queued",
  in_progress: "running",
};

export function outcomeWord(outcome: string | null): string {
  return (outcome && WORDS[outcome]) ?? outcome ?? "unknown";
}

/** A build's outcome: its conclusion once completed, else its state. */
export function buildOutcomeOf(build: { readonly status: string; readonly conclusion: string | null }): string {
  return build.status === "completed" ? (build.conclusion ?? "unknown") : build.status;
}
