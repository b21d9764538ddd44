/** The tables as kysely sees them; `migrations/*.sql` is the source of truth. */
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** pg returns BIGINT as a string; ids stay strings in TypeScript, numbers go in. */
type BigId = ColumnType<string, number | string, number | string>;
type Json<T> = ColumnType<T, string, string>;

export interface InstallationsTable {
  id: BigId;
  account_login: string;
  created_at: Timestamp;
}

export interface RepositoriesTable {
  id: BigId;
  installation_id: BigId;
  full_name: string;
  clone_url: string;
  private: ColumnType<boolean, boolean | undefined, boolean>;
  updated_at: Timestamp;
}

export interface DeliveriesTable {
  id: string;
  event: string;
  received_at: Timestamp;
}

/** A delivery verified and acknowledged, waiting to be handled (migration 011). */
export interface WebhookInboxTable {
  delivery: string;
  event: string;
  /** The body as GitHub signed it. */
  payload: string;
  received_at: Timestamp;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  leased_until: Timestamp | null;
  last_error: string | null;
  gave_up_at: Timestamp | null;
}

export type BuildState = "active" | "superseded" | "completed";

/** What made a build: a webhook's push or pull request, or a call to the API (POST /builds). */
export type BuildEvent = "push" | "pull_request" | "api";

export interface BuildsTable {
  id: ColumnType<string, never, never>;
  repository_id: BigId;
  head_sha: string;
  config_digest: string;
  event: BuildEvent;
  branch: string | null;
  pull_number: number | null;
  head_repository: string;
  clone_url: string;
  fork: ColumnType<boolean, boolean | undefined, boolean>;
  settings: Json<unknown>;
  state: ColumnType<BuildState, BuildState | undefined, BuildState>;
  superseded_by: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  matrix_check_run_id: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  /** When the commit reached its branch or pull request (GitHub's time); orders superseding. */
  event_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** What the matrix check last told GitHub (status:conclusion:title). */
  matrix_synced: ColumnType<string | null, string | null | undefined, string | null>;
  /** Cells of this build running at once, at most (max_parallel); null: no limit. */
  max_parallel: ColumnType<number | null, number | null | undefined, number | null>;
  /** The first failed or timed-out cell cancels the others (fail_fast). */
  fail_fast: ColumnType<boolean, boolean | undefined, boolean>;
  /** The API token's name that asked for it (event `api`); null for a webhook's build. */
  requested_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** The API token's name that cancelled it; null unless cancelled through the API. */
  cancelled_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** The GitHub login that sent its event (migration 014); null for API builds and older ones. */
  sender: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface CellsTable {
  id: ColumnType<string, never, never>;
  build_id: BigId;
  key: string;
  name: string;
  platform: string;
  spec: Json<unknown>;
  skip_reason: string | null;
}

export type AttemptState = "waiting_approval" | "queued" | "in_progress" | "completed";

export interface AttemptsTable {
  id: ColumnType<string, never, never>;
  cell_id: BigId;
  number: number;
  state: AttemptState;
  conclusion: string | null;
  check_run_id: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  synced: ColumnType<string | null, string | null | undefined, string | null>;
  worker: string | null;
  title: ColumnType<string | null, string | null | undefined, string | null>;
  summary: string | null;
  /** The report's standard_check per language (null: not checked). */
  standard_check: ColumnType<unknown, string | null | undefined, string | null>;
  /** Built with another standard than its name says, and the config does not ignore it: the grids mark it. */
  standard_mismatch: ColumnType<boolean, boolean | undefined, boolean>;
  log_key: string | null;
  created_at: Timestamp;
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  completed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Times the reconciler put this attempt back on its queue (its job or its report was lost). */
  requeues: ColumnType<number, number | undefined, number>;
  /** Queued, but waiting for a place of its build's max_parallel: no job yet (only while queued). */
  held: ColumnType<boolean, boolean | undefined, boolean>;
  /** Distinct diagnostics of the attempt by level, as its title counts them; null: not reported. */
  errors: ColumnType<number | null, number | null | undefined, number | null>;
  warnings: ColumnType<number | null, number | null | undefined, number | null>;
  /** Its tests' results; null: no test results (none ran, none were read, or not reported). */
  tests_passed: ColumnType<number | null, number | null | undefined, number | null>;
  tests_failed: ColumnType<number | null, number | null | undefined, number | null>;
  tests_skipped: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface AnnotationsTable {
  attempt_id: BigId;
  fingerprint: string;
  path: string;
  start_line: number;
  end_line: number;
  level: string;
  code: string | null;
  message: string;
  body: Json<unknown>;
}

export interface ConfigFailuresTable {
  repository_id: BigId;
  head_sha: string;
  config_digest: string;
  check_run_id: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  created_at: Timestamp;
}

export interface ApprovalsTable {
  repository_id: BigId;
  head_sha: string;
  approved_by: string;
  approved_at: Timestamp;
}

export interface RedeliveryRequestsTable {
  guid: string;
  delivery_id: BigId;
  event: string;
  tries: ColumnType<number, number | undefined, number>;
  requested_at: Timestamp;
}

export const API_SCOPES = ["builds:read", "builds:write", "configurations:write", "admin"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface ApiTokensTable {
  id: ColumnType<string, never, never>;
  name: string;
  prefix: string;
  hash: string;
  scopes: ColumnType<ApiScope[], ApiScope[], ApiScope[]>;
  /** owner/name in lower case; null: every repository. */
  repositories: string[] | null;
  created_at: Timestamp;
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface ApiAuditTable {
  id: ColumnType<string, never, never>;
  token_id: ColumnType<string | null, number | string | null, number | string | null>;
  token_name: string;
  method: string;
  route: string;
  target: string | null;
  status: number;
  at: Timestamp;
}

export interface ConfigurationsTable {
  name: string;
  /** The last version written, kept through a delete (0 while the first is being written). */
  latest_version: ColumnType<number, number | undefined, number>;
  deleted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  deleted_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ConfigurationVersionsTable {
  name: string;
  version: number;
  document: string;
  /** The API token's name. */
  created_by: string;
  created_at: Timestamp;
}

/** A repository's access for a signed-in user: `write` may re-run and cancel. */
export type RepositoryAccess = "read" | "write";

export interface DashboardSessionsTable {
  /** SHA-256 of the session cookie. */
  hash: string;
  login: string;
  user_id: BigId;
  name: string | null;
  avatar_url: string | null;
  admin: ColumnType<boolean, boolean | undefined, boolean>;
  /** owner/name in lower case → access, as GitHub said at sign-in. */
  repositories: Json<Record<string, RepositoryAccess>>;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface Database {
  installations: InstallationsTable;
  repositories: RepositoriesTable;
  deliveries: DeliveriesTable;
  webhook_inbox: WebhookInboxTable;
  builds: BuildsTable;
  cells: CellsTable;
  attempts: AttemptsTable;
  annotations: AnnotationsTable;
  config_failures: ConfigFailuresTable;
  approvals: ApprovalsTable;
  redelivery_requests: RedeliveryRequestsTable;
  api_tokens: ApiTokensTable;
  api_audit: ApiAuditTable;
  configurations: ConfigurationsTable;
  configuration_versions: ConfigurationVersionsTable;
  dashboard_sessions: DashboardSessionsTable;
}

export type Build = Selectable<BuildsTable>;
export type CellRow = Selectable<CellsTable>;
export type Attempt = Selectable<AttemptsTable>;
export type NewBuild = Insertable<BuildsTable>;
export type ApiToken = Selectable<ApiTokensTable>;
export type DashboardSession = Selectable<DashboardSessionsTable>;
