/** GET /builds/{id}/cells/{cell}/report: an attempt's summary and annotations (zod only: the dashboard reads the type). */
import { z } from "zod";

export const ReportAnnotation = z
  .object({
    path: z.string().describe("In the repository"),
    start_line: z.number().int(),
    end_line: z.number().int(),
    start_column: z.number().int().nullable(),
    level: z.enum(["notice", "warning", "failure"]),
    title: z.string(),
    message: z.string(),
    code: z.string().nullable().describe("The diagnostic's code or flag, e.g. -Wunused-variable"),
    tool: z.string(),
    url: z.string().describe("The lines on GitHub at the build's commit"),
  })
  .meta({ id: "ReportAnnotation" });

export const CellReport = z
  .object({
    cell: z.string(),
    attempt: z.number().int(),
    summary: z
      .string()
      .nullable()
      .describe("The check run's summary (Markdown): the outcome, failed tests with their output, the diagnostics"),
    annotations: z.array(ReportAnnotation).describe("Failures first, then by file and line"),
  })
  .meta({ id: "CellReport" });
