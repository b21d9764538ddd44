/**
 * The `heimdall-build / configuration` check run for a `.heimdall-build.yml` that does not parse.
 *
 * It is written once per commit, so GitHub must take it whatever the file says:
 * the file is the repository's (keys and values of any length, any number of
 * problems), so every problem is shown escaped and cut, the list ends where the
 * summary's room does, and the body goes through `fitCheckRun`.
 */
import { formatPath, type PositionedProblem } from "../config/problems.ts";
import { ANNOTATIONS_PER_REQUEST, type CheckRunAnnotation } from "./check-run.ts";
import { fitAnnotation, fitCheckRun, fitLine, fitLines, GITHUB_LIMITS, utf8Bytes } from "./github-limits.ts";
import { codeSpan, cut, escapeMarkdown } from "./markdown.ts";

export const CONFIGURATION_CHECK_NAME = "heimdall-build / configuration";

/** One problem's line in the summary at most: a huge key must not crowd out the others. */
const MAX_PROBLEM_BYTES = 1000;

export function configurationCheck(headSha: string, problems: readonly PositionedProblem[]) {
  const errors = problems.filter((p) => p.severity === "error");
  const annotations: CheckRunAnnotation[] = problems.slice(0, ANNOTATIONS_PER_REQUEST).map((p) =>
    fitAnnotation({
      path: p.file,
      start_line: p.line,
      end_line: Math.max(p.line, p.endLine),
      ...(p.endLine === p.line ? { start_column: p.column, end_column: Math.max(p.column, p.endColumn) } : {}),
      annotation_level: p.severity === "error" ? "failure" : "warning",
      title: p.path.length > 0 ? formatPath(p.path) : "YAML",
      message: p.message,
    }),
  );
  const intro = `Nothing was built: the configuration has errors. Check it before pushing with \`heimdall-build validate\`.${
    problems.length > ANNOTATIONS_PER_REQUEST
      ? ` The first ${ANNOTATIONS_PER_REQUEST} of ${problems.length} problems are annotated on the file.`
      : ""
  }`;
  const lines = problems.map((p) =>
    fitLine(
      `- ${codeSpan(cut(`${p.file}:${p.line}:${p.column}`, 200))} ${p.path.length ? `${codeSpan(cut(formatPath(p.path), 200))}: ` : ""}${escapeMarkdown(cut(p.message, 400))}`,
      MAX_PROBLEM_BYTES,
    ),
  );
  const list = fitLines(
    lines,
    GITHUB_LIMITS.summaryBytes - utf8Bytes(intro) - 2,
    (left) => `- … ${left} more ${left === 1 ? "problem" : "problems"} not shown; run \`heimdall-build validate\``,
  );
  return fitCheckRun({
    name: CONFIGURATION_CHECK_NAME,
    head_sha: headSha,
    status: "completed" as const,
    conclusion: "failure" as const,
    completed_at: new Date().toISOString(),
    output: {
      title: `${errors.length} ${errors.length === 1 ? "error" : "errors"} in ${problems[0]?.file ?? ".heimdall-build.yml"}`,
      summary: `${intro}\n\n${list}`,
      annotations,
    },
  });
}
