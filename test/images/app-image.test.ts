/**
 * heimdall-build's own image (images/app/Dockerfile), built for real: on the
 * local stand-in for node:24-bookworm-slim (scripts/seed-node-image.sh, from
 * Debian's archive and the npm registry), with `npm ci` run inside the build.
 * Re-runs reuse the engine's layer cache (the tag is kept).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { rootCertificates } from "node:tls";
import { beforeAll, describe, expect, test } from "vitest";
import { runCli } from "../../src/cli/program.ts";
import { requireDocker } from "../support/docker.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NODE_IMAGE = "heimdall-build/node:24-bookworm-slim";
const TAG = "heimdall-build/app:test";

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr: error && code === -1 ? `${stderr}\n${error.message}` : stderr });
      },
    );
  });
}

async function cli(...args: string[]): Promise<Ran> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["node", "heimdall-build", ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: ROOT,
  });
  return { code, stdout, stderr };
}

/**
 * The CA certificates this host's Node trusts beyond its own (NODE_EXTRA_CA_CERTS),
 * for the build's `npm ci`: on a network whose proxy intercepts TLS, its CA is
 * among them. Null when the host adds none.
 */
function extraCaCerts(): string | null {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return null;
  const normal = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s+/g, "");
  const known = new Set(rootCertificates.map(normal));
  const pems = readFileSync(file, "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const extra = pems.filter((pem) => !known.has(normal(pem)));
  return extra.length > 0 ? `${extra.join("\n")}\n` : null;
}

/** Command names in a commander `--help`. */
function commands(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? "";
  return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1] ?? "");
}

beforeAll(async () => {
  await requireDocker();
  const seeded = await run(path.join(ROOT, "scripts/seed-node-image.sh"), [], 600_000);
  if (seeded.code !== 0) throw new Error(`scripts/seed-node-image.sh failed:\n${seeded.stdout}${seeded.stderr}`);
  const ca = extraCaCerts();
  const built = await run(
    "docker",
    [
      "build",
      "--quiet",
      "--build-arg",
      `NODE_IMAGE=${NODE_IMAGE}`,
      ...(ca ? ["--build-arg", `EXTRA_CA_CERTS=${ca}`] : []),
      "--file",
      "images/app/Dockerfile",
      "--tag",
      TAG,
      ".",
    ],
    600_000,
  );
  if (built.code !== 0) throw new Error(`docker build of images/app failed:\n${built.stderr.slice(-4000)}`);
}, 900_000);

describe("the app's image", () => {
  test("--help lists the same commands as this checkout's CLI", async () => {
    const inImage = await run("docker", ["run", "--rm", TAG, "--help"]);
    expect(inImage.code, inImage.stderr).toBe(0);
    const here = await cli("--help");
    expect(commands(here.stdout)).toEqual(expect.arrayContaining(["validate", "server", "worker", "images"]));
    expect(commands(inImage.stdout)).toEqual(commands(here.stdout));
  });

  test("validate reads a mounted project and expands its matrix as the CLI here does", async () => {
    const example = path.join(ROOT, "examples/hello-cpp");
    const inImage = await run("docker", ["run", "--rm", "-v", `${example}:/src:ro`, TAG, "validate", "/src", "--json"]);
    expect(inImage.code, inImage.stderr).toBe(0);
    const here = await cli("validate", "examples/hello-cpp", "--json");
    expect(here.code).toBe(0);
    const cells = JSON.parse(inImage.stdout).cells;
    expect(cells.length).toBeGreaterThan(0);
    expect(cells).toEqual(JSON.parse(here.stdout).cells);
    const table = await run("docker", ["run", "--rm", "-v", `${example}:/src:ro`, TAG, "validate", "/src"]);
    expect(table.stdout).toMatch(/\d+ cells, \d+ to run, \d+ skipped/);
  });

  test("runs as node (uid 1000) with git, Node 24, the recipes and migrations, and no dev dependencies", async () => {
    const probe = [
      "id -u",
      "node --version",
      "git --version",
      "ls images/debian/Dockerfile migrations schema/heimdall-build.schema.json >/dev/null && echo files",
      "test -w dist || echo read-only",
      "node -e \"import('vitest').then(() => console.log('dev dependencies'), () => console.log('no dev dependencies'))\"",
    ].join("; ");
    const { code, stdout, stderr } = await run("docker", ["run", "--rm", "--entrypoint", "sh", TAG, "-c", probe]);
    expect(code, stderr).toBe(0);
    const [uid, node, git, files, readOnly, dev] = stdout.trim().split("\n");
    expect(uid).toBe("1000");
    expect(node).toMatch(/^v24\./);
    expect(git).toMatch(/^git version /);
    expect(files).toBe("files");
    expect(readOnly).toBe("read-only");
    expect(dev).toBe("no dev dependencies");
  });
});
