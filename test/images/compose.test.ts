/**
 * docker-compose.yml: what the stack needs of it (read with the yaml package),
 * and Compose's own validation of it (`config -q`) with .env.example as .env.
 * Its images are not pulled here (no registry).
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";

const ROOT = path.resolve(import.meta.dirname, "../..");

interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  env_file?: string | string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test?: string[] };
  user?: string;
}

const compose = parse(readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;

/** `${X:-default}` and `${X:?message}` as Compose resolves them with nothing set: the default, or the name. */
function resolved(text: string): string {
  return text.replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_all, name, fallback) => fallback ?? `<${name}>`);
}

function service(name: string): Service {
  const found = services[name];
  expect(found, `docker-compose.yml has a ${name} service`).toBeDefined();
  return found as Service;
}

describe("docker-compose.yml", () => {
  test("every image is pinned to a tag, never latest", () => {
    for (const [name, { image }] of Object.entries(services)) {
      expect(image, name).toBeDefined();
      const tag = /:([^/:]+)$/.exec(resolved(image ?? ""))?.[1];
      expect(tag, `${name}: ${image}`).toBeDefined();
      expect(tag, `${name}: ${image}`).not.toBe("latest");
    }
    expect(service("postgres").image).toBe("postgres:17");
    expect(service("redis").image).toBe("redis:7");
  });

  test("PostgreSQL and Redis have health checks the server waits for", () => {
    expect(service("postgres").healthcheck?.test).toEqual(expect.arrayContaining(["pg_isready"]));
    expect(service("redis").healthcheck?.test).toEqual(expect.arrayContaining(["redis-cli", "ping"]));
    expect(service("server").depends_on).toMatchObject({
      postgres: { condition: "service_healthy" },
      redis: { condition: "service_healthy" },
      buckets: { condition: "service_completed_successfully" },
    });
  });

  test("the server and the worker run the app's image with .env, the server on port 3000", () => {
    for (const name of ["server", "worker"]) {
      const app = service(name);
      expect(app.build?.dockerfile, name).toBe("images/app/Dockerfile");
      expect(existsSync(path.join(ROOT, app.build?.context ?? "", app.build?.dockerfile ?? ""))).toBe(true);
      expect(app.env_file, name).toBe(".env");
      expect(app.environment?.REDIS_URL, name).toBe("redis://redis:6379");
      expect(app.environment?.S3_ENDPOINT, name).toBe("http://minio:9000");
    }
    expect(service("server").command).toEqual(["server"]);
    expect(service("server").ports?.map(resolved)).toContain("3000:3000");
    expect(service("server").healthcheck?.test?.join(" ")).toContain("/healthz");
    expect(service("worker").command).toEqual(["worker", "--platform", "linux"]);
  });

  test("the worker drives the host's engine, with its cache folder at the same path inside and out", () => {
    const worker = service("worker");
    const volumes = (worker.volumes ?? []).map(resolved);
    expect(volumes).toContain("/var/run/docker.sock:/var/run/docker.sock");
    const cacheDir = resolved(worker.environment?.HEIMDALL_CACHE_DIR ?? "");
    expect(cacheDir).toMatch(/^\/\S+/);
    expect(volumes).toContain(`${cacheDir}:${cacheDir}`);
    // Owned by the worker's uid before it starts.
    const cache = service("worker-cache");
    expect(cache.entrypoint?.map(resolved)).toEqual(["chown", "1000:1000", cacheDir]);
    expect(cache.volumes?.map(resolved)).toEqual([`${cacheDir}:${cacheDir}`]);
    expect(worker.depends_on).toMatchObject({ "worker-cache": { condition: "service_completed_successfully" } });
  });

  test("MinIO's bucket is made before the server and the worker start", () => {
    expect(service("buckets").image).toMatch(/^quay\.io\/minio\/mc:RELEASE\./);
    expect(service("buckets").command?.join("\n")).toContain('mc mb --ignore-existing "local/$$S3_BUCKET"');
    expect(service("worker").depends_on).toMatchObject({ buckets: { condition: "service_completed_successfully" } });
  });
});

/** `docker-compose` (v1, Debian's package) or the `docker compose` plugin, whichever answers. */
async function composeCommand(): Promise<string[]> {
  for (const candidate of [["docker-compose"], ["docker", "compose"]]) {
    const [command = "", ...args] = candidate;
    const ok = await new Promise<boolean>((resolve) =>
      execFile(command, [...args, "version"], (error) => resolve(error === null)),
    );
    if (ok) return candidate;
  }
  throw new Error(
    "Neither docker-compose nor `docker compose` is installed: apt-get install docker-compose (or the compose plugin) to validate docker-compose.yml.",
  );
}

describe("Compose validates docker-compose.yml", () => {
  let project = "";
  beforeAll(async () => {
    project = await mkdtemp(path.join(tmpdir(), "heimdall-compose-"));
    await copyFile(path.join(ROOT, "docker-compose.yml"), path.join(project, "docker-compose.yml"));
  });
  afterAll(async () => {
    await rm(project, { recursive: true, force: true });
  });

  async function config(env: string): Promise<{ code: number; stderr: string }> {
    await writeFile(path.join(project, ".env"), env);
    const [command = "", ...args] = await composeCommand();
    return new Promise((resolve) =>
      execFile(
        command,
        [...args, "--project-directory", project, "-f", path.join(project, "docker-compose.yml"), "config", "-q"],
        // Only what the engine's client needs: nothing of this shell's settings leaks into the check.
        { cwd: project, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: project }, timeout: 30_000 },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      ),
    );
  }

  test("with .env.example as .env and a MinIO password, the file is valid", async () => {
    const example = await readFile(path.join(ROOT, ".env.example"), "utf8");
    const result = await config(`${example}\nMINIO_ROOT_PASSWORD=a-long-enough-password\n`);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  test("without a MinIO password it refuses, saying what to set", async () => {
    const example = await readFile(path.join(ROOT, ".env.example"), "utf8");
    const result = await config(example);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("set MINIO_ROOT_PASSWORD in .env");
  });
});
