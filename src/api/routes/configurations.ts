/**
 * Stored configurations: `.heimdall-build.yml` documents kept by name and
 * version, which a repository's file may `extends`. A document is checked by
 * the same parser as a repository's file before anything is stored.
 */
import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { CONFIGURATION_NAME, CONFIGURATION_NAME_RULE, ONE_LEVEL } from "../../config/extends.ts";
import { LIMITS } from "../../config/limits.ts";
import { parseConfig } from "../../config/parse.ts";
import { formatPath, formatProblem } from "../../config/problems.ts";
import {
  deleteConfiguration,
  getConfiguration,
  listConfigurations,
  type StoredConfiguration,
  writeConfiguration,
} from "../../db/configurations.ts";
import { ApiError, ErrorBody } from "../errors.ts";
import type { V1Deps } from "../v1.ts";

const Name = z
  .string()
  .regex(CONFIGURATION_NAME, { error: `a configuration's name is ${CONFIGURATION_NAME_RULE}` })
  .meta({ id: "ConfigurationName", description: `The name \`extends:\` gives: ${CONFIGURATION_NAME_RULE}.` });
const Document = z.string().meta({
  id: "ConfigurationDocument",
  description: `The YAML text of a complete \`.heimdall-build.yml\` (at most ${LIMITS.fileBytes} bytes), without \`extends\`.`,
});
const Version = z.int().min(1);

const VersionEntry = z
  .object({ version: Version, created_at: z.iso.datetime(), created_by: z.string() })
  .meta({ id: "ConfigurationVersion", description: "One version: when and by which token's name it was written." });
const Configuration = z
  .object({
    name: Name,
    version: Version,
    document: Document,
    created_at: z.iso.datetime(),
    created_by: z.string(),
    latest_version: Version,
    deleted_at: z.iso.datetime().nullable(),
    versions: z.array(VersionEntry).describe("Newest first, at most 100."),
  })
  .meta({ id: "Configuration", description: "A version of a stored configuration (the latest unless asked)." });
const Summary = z
  .object({ name: Name, version: Version, updated_at: z.iso.datetime(), updated_by: z.string() })
  .meta({ id: "ConfigurationSummary" });
const Problem = z
  .object({
    file: z.string(),
    line: z.int(),
    column: z.int(),
    path: z.string(),
    severity: z.enum(["error", "warning"]),
    message: z.string(),
  })
  .meta({ id: "ConfigurationProblem", description: "A problem of the document, where it is in it." });
const InvalidConfiguration = z
  .object({
    error: z.object({
      code: z.literal("invalid_configuration"),
      message: z.string(),
      details: z.object({ problems: z.array(Problem) }),
    }),
  })
  .meta({
    id: "InvalidConfigurationError",
    description: "The document is not a valid .heimdall-build.yml; nothing was stored.",
  });

const NameParams = z.object({ name: Name });

export function configurationRoutes(deps: V1Deps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/configurations",
      {
        config: { scope: "builds:read" },
        schema: {
          tags: ["configurations"],
          summary: "The stored configurations (not deleted), by name",
          response: { 200: z.object({ configurations: z.array(Summary) }).meta({ id: "ConfigurationList" }) },
        },
      },
      async () => ({
        configurations: (await listConfigurations(deps.db)).map((c) => ({
          name: c.name,
          version: c.version,
          updated_at: c.updatedAt.toISOString(),
          updated_by: c.updatedBy,
        })),
      }),
    );

    app.post(
      "/configurations",
      {
        config: { scope: "configurations:write" },
        schema: {
          tags: ["configurations"],
          summary: "Store a new configuration (version 1, or the next after a deleted name's last)",
          body: z.object({ name: Name, document: Document }).meta({ id: "NewConfiguration" }),
          response: {
            201: Configuration,
            409: ErrorBody.describe("A configuration of that name exists: PUT adds a version"),
            413: ErrorBody.describe("The document is larger than a .heimdall-build.yml may be"),
            422: InvalidConfiguration,
          },
        },
      },
      async (request, reply) => {
        const { name, document } = request.body;
        const written = await write(deps, request, name, document, true);
        if (written.outcome === "exists")
          throw new ApiError(
            "conflict",
            `a configuration named ${name} exists; PUT /configurations/${name} adds a version`,
            {
              name,
            },
          );
        return reply.code(201).send(await shown(deps, name, written.version));
      },
    );

    app.get(
      "/configurations/:name",
      {
        config: { scope: "builds:read" },
        schema: {
          tags: ["configurations"],
          summary: "A configuration: its latest version, or ?version=N (a deleted name's versions too)",
          params: NameParams,
          querystring: z.object({
            version: z
              .string()
              .regex(/^[1-9]\d{0,8}$/)
              .optional(),
          }),
          response: { 200: Configuration, 404: ErrorBody.describe("No such configuration, or version") },
        },
      },
      async (request) => {
        const { name } = request.params;
        const version = request.query.version === undefined ? undefined : Number(request.query.version);
        const found = await getConfiguration(deps.db, name, version);
        if (found) return configurationJson(found);
        if (version !== undefined) throw new ApiError("not_found", `configuration ${name} has no version ${version}`);
        const deleted = await getConfiguration(deps.db, name, 1);
        if (deleted)
          throw new ApiError(
            "not_found",
            `configuration ${name} was deleted; its versions 1-${deleted.latestVersion} are kept (?version=N)`,
          );
        throw new ApiError("not_found", `no configuration is named ${name}`);
      },
    );

    app.put(
      "/configurations/:name",
      {
        config: { scope: "configurations:write" },
        schema: {
          tags: ["configurations"],
          summary: "A new version of a configuration (the name made when it is not there)",
          params: NameParams,
          body: z.object({ document: Document }).meta({ id: "ConfigurationUpdate" }),
          response: {
            200: Configuration.describe("A new version of an existing configuration"),
            201: Configuration.describe("The configuration made (the name was new, or deleted)"),
            413: ErrorBody.describe("The document is larger than a .heimdall-build.yml may be"),
            422: InvalidConfiguration,
          },
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        const written = await write(deps, request, name, request.body.document, false);
        if (written.outcome === "exists") throw new Error("a PUT never asks for a new name only");
        return reply.code(written.outcome === "created" ? 201 : 200).send(await shown(deps, name, written.version));
      },
    );

    app.delete(
      "/configurations/:name",
      {
        config: { scope: "configurations:write" },
        schema: {
          tags: ["configurations"],
          summary:
            "Delete a configuration: builds that extend it then fail their configuration check; its versions are kept",
          params: NameParams,
          response: { 204: z.null().describe("Deleted"), 404: ErrorBody.describe("No such configuration") },
        },
      },
      async (request, reply) => {
        const { name } = request.params;
        refuseLimitedToken(request);
        if (!(await deleteConfiguration(deps.db, name, principalName(request), deps.now())))
          throw new ApiError("not_found", `no configuration is named ${name}`);
        return reply.code(204).send(null);
      },
    );
  };
}

/** The document checked as a repository's file would be, then stored as a new version. */
async function write(deps: V1Deps, request: FastifyRequest, name: string, document: string, create: boolean) {
  refuseLimitedToken(request);
  const bytes = Buffer.byteLength(document, "utf8");
  if (bytes > LIMITS.fileBytes)
    throw new ApiError(
      "payload_too_large",
      `the document is ${bytes} bytes; a .heimdall-build.yml is at most ${LIMITS.fileBytes}`,
    );
  const parsed = parseConfig(document, { file: `configurations/${name}`, base: { unresolved: ONE_LEVEL } });
  if (!parsed.ok) {
    const problems = parsed.problems.map((p) => ({
      file: p.file,
      line: p.line,
      column: p.column,
      path: p.path.length === 0 ? "" : formatPath(p.path),
      severity: p.severity,
      message: p.message,
    }));
    const first = parsed.problems[0];
    throw new ApiError(
      "invalid_configuration",
      `the document is not a valid .heimdall-build.yml${first ? `: ${formatProblem(first)}` : ""}`,
      { problems },
    );
  }
  return writeConfiguration(deps.db, { name, document, by: principalName(request), at: deps.now(), create });
}

/**
 * Any repository's file may extend a stored configuration, so a token limited
 * to some repositories may not change one: it would reach the others' builds.
 */
function refuseLimitedToken(request: FastifyRequest): void {
  if (request.principal?.repositories)
    throw new ApiError(
      "forbidden",
      "this token is limited to some repositories, and a stored configuration may be extended by any repository",
    );
}

function principalName(request: FastifyRequest): string {
  return request.principal?.name ?? "(unknown)";
}

async function shown(deps: V1Deps, name: string, version: number) {
  const found = await getConfiguration(deps.db, name, version);
  if (!found) throw new Error(`configuration ${name}@v${version} was written and is not there`);
  return configurationJson(found);
}

function configurationJson(c: StoredConfiguration) {
  return {
    name: c.name,
    version: c.version,
    document: c.document,
    created_at: c.createdAt.toISOString(),
    created_by: c.createdBy,
    latest_version: c.latestVersion,
    deleted_at: c.deletedAt?.toISOString() ?? null,
    versions: c.versions.map((v) => ({
      version: v.version,
      created_at: v.createdAt.toISOString(),
      created_by: v.createdBy,
    })),
  };
}
