/** The shapes of POST /builds, DELETE /builds/{id} and POST /builds/{id}/rerun, shared by name in the OpenAPI document. */
import { z } from "zod";
import { BUILD_TYPES, COMPILER_FAMILIES, CXX_STANDARDS, PLATFORMS, SANITIZERS } from "../../config/catalog.ts";
import { LIMITS } from "../../config/limits.ts";
import { BuildDetail } from "../schemas/build.ts";

export const BuildIdParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });

export const CellRequest = z
  .strictObject({
    platform: z.enum(PLATFORMS),
    compiler: z.enum(COMPILER_FAMILIES),
    version: z.union([z.int().min(0).max(99999), z.string().regex(/^[0-9]{1,5}$/)]).describe("The compiler's version"),
    cxx_standard: z.literal(CXX_STANDARDS),
    build_type: z.enum(BUILD_TYPES),
    llvm_version: z.int().min(3).max(99).optional().describe("An LLVM release to build against (the `llvm` axis)"),
    enable_tests: z.boolean().optional().describe("`tests` of an include entry"),
    enable_coverage: z.boolean().optional().describe("`coverage` of an include entry"),
    enable_sanitizers: z
      .union([z.boolean(), z.array(z.enum(SANITIZERS)).max(SANITIZERS.length)])
      .optional()
      .describe("`sanitizers` of an include entry: true is [address, undefined], false none, or the list"),
  })
  .meta({ id: "CellRequest", description: "One cell to build: checked against the catalog, skipped when impossible." });

export const BuildRequest = z
  .strictObject({
    repository: z
      .string()
      .max(200)
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/)
      .describe("owner/name of a repository the app is installed on"),
    commit: z
      .string()
      .regex(/^[0-9a-fA-F]{40}$/)
      .describe("The commit's full SHA"),
    ref: z
      .string()
      .min(1)
      .max(255)
      .regex(/^(?:refs\/heads\/)?(?!refs\/)[^\s~^:?*[\\]+$/)
      .optional()
      .describe(
        "The branch the build stands for (`main` or `refs/heads/main`): it supersedes and is superseded as a push",
      ),
    configurations: z
      .union([
        z.string().min(1).max(200).describe("A stored configuration's name"),
        z.array(CellRequest).min(1).max(LIMITS.cells),
      ])
      .optional()
      .describe("Absent: the repository's .heimdall-build.yml at the commit"),
  })
  .meta({ id: "BuildRequest" });

const AttemptState = z.enum(["waiting_approval", "queued", "in_progress", "completed"]);

export const CreatedBuild = BuildDetail.extend({
  requested_by: z.string().describe("The token's name"),
  configuration: z
    .object({
      source: z.enum(["repository", "stored", "cells"]),
      name: z.string().nullable().describe("The stored configuration's name (source `stored`)"),
      version: z.int().nullable().describe("Its version"),
    })
    .describe("Where the build's config came from"),
}).meta({
  id: "CreatedBuild",
  description: "A build made by POST /builds, as GET /builds/{id} shows it, with who asked and what config it took",
});

export const CancelledBuild = z
  .object({
    id: z.string(),
    cancelled_by: z.string(),
    attempts: z.array(
      z.object({
        id: z.string(),
        cell_key: z.string(),
        cell_name: z.string(),
        was: AttemptState.exclude(["completed"]),
      }),
    ),
  })
  .meta({ id: "CancelledBuild", description: "The attempts a cancel concluded `cancelled`, and where each was." });

export const RerunRequest = z
  .strictObject({
    cells: z
      .array(z.string().min(1).max(300))
      .min(1)
      .max(LIMITS.cells)
      .optional()
      .describe("Cell keys; all when absent"),
    failed_only: z.boolean().optional().describe("Only cells whose latest attempt failed, was cancelled or timed out"),
  })
  .meta({ id: "RerunRequest" });

export const RerunAttempts = z
  .object({
    id: z.string(),
    attempts: z.array(
      z.object({
        id: z.string(),
        cell_key: z.string(),
        cell_name: z.string(),
        number: z.int(),
        state: AttemptState,
      }),
    ),
  })
  .meta({
    id: "RerunAttempts",
    description: "The new attempts of a re-run (waiting_approval for an unapproved fork).",
  });
