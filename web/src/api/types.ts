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

export type Build = z.infer<typeof BuildSchema>;
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
