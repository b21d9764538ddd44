/**
 * A build's page as HTML, for check runs' "Details" link until the dashboard
 * serves it: the build and a row per cell. Everything in it comes from
 * repositories and builds (untrusted): every text is escaped, and the page
 * carries no script (the route's CSP allows none).
 */
import type { z } from "zod";
import type { BuildDetail } from "./schemas/build.ts";

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const SYMBOL: Readonly<Record<string, string>> = {
  success: "✅ passed",
  neutral: "⚠️ passed, another standard",
  failure: "❌ failed",
  timed_out: "⏱️ timed out",
  cancelled: "🚫 cancelled",
  skipped: "⏭️ skipped",
  action_required: "✋ action required",
  queued: "⏳ queued",
  in_progress: "🔄 running",
  waiting_approval: "✋ waiting for approval",
};

function duration(ms: number | null): string {
  if (ms === null) return "";
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** Links the page may show for a cell's latest attempt (signed ones when the server has a secret). */
export interface PageLinks {
  readonly log: (cellKey: string, attempt: number) => string | null;
}

export function buildPageHtml(build: z.infer<typeof BuildDetail>, links: PageLinks): string {
  const state = build.conclusion ?? build.status;
  const rows = build.cells.map((cell) => {
    const latest = cell.attempts.at(-1);
    const status = cell.state === "completed" ? (cell.conclusion ?? "completed") : cell.state;
    const log = latest ? links.log(cell.key, latest.number) : null;
    const check = latest?.check_run_url;
    return `<tr><td>${escapeHtml(cell.name)}</td><td>${escapeHtml(SYMBOL[status] ?? status)}</td><td>${escapeHtml(
      cell.skip_reason ?? latest?.title ?? "",
    )}</td><td>${escapeHtml(duration(latest?.duration_ms ?? null))}</td><td>${latest ? latest.number : ""}</td><td>${[
      check ? `<a href="${escapeHtml(check)}">check run</a>` : "",
      log ? `<a href="${escapeHtml(log)}">log</a>` : "",
    ]
      .filter(Boolean)
      .join(" · ")}</td></tr>`;
  });
  const where = build.pull_request !== null ? `pull request #${build.pull_request}` : (build.branch ?? build.event);
  const title = `Build ${build.id}: ${build.repository} ${build.commit.slice(0, 7)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(SYMBOL[state] ?? state)} · ${escapeHtml(where)} · ${build.cell_counts.total} cells · made ${escapeHtml(build.created_at)}${
    build.duration_ms !== null ? ` · took ${escapeHtml(duration(build.duration_ms))}` : ""
  }</p>
<table><thead><tr><th>cell</th><th>state</th><th>title</th><th>time</th><th>attempt</th><th>links</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>
</body></html>
`;
}
