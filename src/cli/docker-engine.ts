/** The Docker engine the CLI talks to (DOCKER_HOST, else the local socket), when one answers. */
import type Docker from "dockerode";

/** How long an engine may take to answer a ping before the CLI goes on without it. */
const PING_TIMEOUT_MS = 3000;

/** A client of the engine, or null when none answers within a few seconds. */
export async function answeringDocker(): Promise<Docker | null> {
  const { default: Docker } = await import("dockerode");
  const docker = new Docker();
  const answered = await Promise.race([
    docker.ping().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), PING_TIMEOUT_MS).unref()),
  ]);
  return answered ? docker : null;
}
