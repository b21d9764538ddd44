/**
 * The API's answers as the dashboard reads them: the server's own zod schemas,
 * imported for their types only (nothing of zod reaches the bundle).
 */
import type { z } from "zod";
import type {
  Attempt as AttemptSchema,
  BuildDetail as BuildDetailSchema,
  BuildPage as BuildPageSchema,
  Build as BuildSchema,
  Cell as CellSchema,
} from "../../../src/api/schemas/build.ts";
import type { CellReport as CellReportSchema } from "../../../src/api/schemas/cell-report.ts";
import type { MetricsAnswer as MetricsSchema } from "../../../src/api/schemas/metrics.ts";
import type { QueueAnswer as QueueSchema } from "../../../src/api/schemas/queue.ts";
import type { StatusAnswer as StatusSchema } from "../../../src/api/schemas/status.ts";
import type { NewToken as NewTokenSchema, TokenList as TokenListSchema } from "../../../src/api/schemas/tokens.ts";

export type Build = z.infer<typeof BuildSchema>;
export type QueueAnswer = z.infer<typeof QueueSchema>;
export type StatusAnswer = z.infer<typeof StatusSchema>;
export type MetricsAnswer = z.infer<typeof MetricsSchema>;
export type TokenList = z.infer<typeof TokenListSchema>;
export type CellReport = z.infer<typeof CellReportSchema>;
export type NewToken = z.infer<typeof NewTokenSchema>;
export type BuildDetail = z.infer<typeof BuildDetailSchema>;
export type BuildPage = z.infer<typeof BuildPageSchema>;
export type Cell = z.infer<typeof CellSchema>;
export type Attempt = z.infer<typeof AttemptSchema>;

/** GET /auth/session: who is signed in, and how the dashboard signs people in. */
export interface Session {
  readonly mode: "github" | "none";
  readonly user: {
    readonly login: string;
    readonly name: string | null;
    readonly avatar_url: string | null;
    readonly admin: boolean;
  } | null;
  /** Sent back as `x-csrf-token` with every call that changes something. */
  readonly csrf_token: string | null;
}

/** GET /configurations and /configurations/{name} (routes/configurations.ts). */
export interface ConfigurationSummary {
  readonly name: string;
  readonly version: number;
  readonly updated_at: string;
  readonly updated_by: string;
}

export interface StoredConfiguration {
  readonly name: string;
  readonly version: number;
  readonly document: string;
  readonly created_at: string;
  readonly created_by: string;
  readonly latest_version: number;
  readonly deleted_at: string | null;
  readonly versions: readonly { version: number; created_at: string; created_by: string }[];
}

/** A 422's problem: where in the document, and what. */
export interface ConfigurationProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly severity: "error" | "warning";
  readonly message: string;
}

/** GET /builds/{id}/artifacts and /sboms: one stored file. */
export interface StoredFile {
  readonly cell: string;
  readonly attempt: number;
  readonly path: string;
  readonly size: number;
  readonly url: string;
}
