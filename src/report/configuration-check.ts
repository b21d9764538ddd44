/** The `heimdall-build / configuration` check run for a `.heimdall-build.yml` that does not parse. */
import { formatPath, type PositionedProblem } from "../config/problems.ts";
import { ANNOTATIONS_PER_REQUEST, type CheckRunAnnotation } from "./check-run.ts";

export const CONFIGURATION_CHECK_NAME = "heimdall-build / configuration";

export function configurationCheck(headSha: string, problems: readonly PositionedProblem[]) {
  const errors = problems.filter((p) => p.severity === "error");
  const annotations: CheckRunAnnotation[] = problems.slice(0, ANNOTATIONS_PER_REQUEST).map((p) => ({
    path: p.file,
    start_line: p.line,
    end_line: Math.max(p.line, p.endLine),
    ...(p.endLine === p.line ? { start_column: p.column, end_column: Math.max(p.column, p.endColumn) } : {}),
    annotation_level: p.severity === "error" ? "failure" : "warning",
    title: p.path.length > 0 ? formatPath(p.path) : "YAML",
    message: p.message,
  }));
  const list = problems
    .slice(0, 100)
    .map(
      (p) => `- \`${p.file}:${p.line}:${p.column}\` ${p.path.length ? `**${formatPath(p.path)}**: ` : ""}${p.message}`,
    )
    .join("\n");
  return {
    name: CONFIGURATION_CHECK_NAME,
    head_sha: headSha,
    status: "completed" as const,
    conclusion: "failure" as const,
    completed_at: new Date().toISOString(),
    output: {
      title: `${errors.length} ${errors.length === 1 ? "error" : "errors"} in ${problems[0]?.file ?? ".heimdall-build.yml"}`,
      summary: `Nothing was built: the configuration has errors. Check it before pushing with \`heimdall-build validate\`.\n\n${list}`,
      annotations,
    },
  };
}
