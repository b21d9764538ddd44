/** The real Docker engine for tests; a missing engine fails the run with a clear message. */
import Docker from "dockerode";

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
