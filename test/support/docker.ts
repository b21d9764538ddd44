/** The real Docker engine for tests; a missing engine fails the run with a clear message. */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll } from "vitest";

export async function requireDocker(): Promise<Docker> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(
      `No Docker engine answers at ${process.env.DOCKER_HOST ?? "/var/run/docker.sock"} (${String(error)}). ` +
        "These tests run compilers in real containers: start the engine (bash .ci/run does it) and seed the base images.",
    );
  }
  return docker;
}

/**
 * An image with no layers (FROM scratch, one label) tagged `tag`, built here
 * in a second without pulling anything: it is present, though nothing runs in it.
 */
export async function labelOnlyImage(docker: Docker, tag: string): Promise<string> {
  const context = await mkdtemp(path.join(tmpdir(), "heimdall-label-image-"));
  try {
    await writeFile(path.join(context, "Dockerfile"), "FROM scratch\nLABEL dev.heimdall-build.test=label-only\n");
    const stream = await docker.buildImage({ context, src: ["Dockerfile"] }, { t: tag, pull: false, rm: true });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
        const failure = error?.message ?? events.find((event) => event.error)?.error;
        if (failure) reject(new Error(`building ${tag} failed: ${failure}`));
        else resolve();
      });
    });
    return tag;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** A tag of this test run's own, which no engine has until the test makes it. */
export function uniqueImageTag(what: string): string {
  return `heimdall-build-test/${what}:${randomBytes(4).toString("hex")}`;
}

/** Takes the name `tag` off its image (one with other names keeps them); nothing when it is gone already. */
export async function removeImageName(docker: Docker | undefined, tag: string): Promise<void> {
  await docker
    ?.getImage(tag)
    .remove()
    .catch(() => undefined);
}

/**
 * For the tests of the file or `describe` it is called in: a label-only image
 * named `tag`, made before them and removed after. Returns the engine's client.
 */
export function useLabelOnlyImage(tag: string): () => Docker {
  let docker: Docker | undefined;
  beforeAll(async () => {
    docker = await requireDocker();
    await labelOnlyImage(docker, tag);
  }, 120_000);
  afterAll(() => removeImageName(docker, tag));
  return () => {
    if (!docker) throw new Error("the engine is asked for before the tests start");
    return docker;
  };
}
