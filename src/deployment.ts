/**
 * A deployment's identity on a Docker host. Attempt ids are serials of one
 * database, so two deployments sharing an engine have attempts with the same
 * id; a worker that removed "the containers of attempt 7" removed the other
 * deployment's running build too, and that one reported a false failure.
 *
 * Every container a worker starts carries its deployment
 * (`dev.heimdall-build.deployment=<id>`) and its attempt qualified by it
 * (`dev.heimdall-build.attempt=<id>/<attempt>`), and a worker lists or removes
 * only containers matching both. The attempt label's value itself is qualified,
 * not paired with a bare id: a worker of an older version on the same engine
 * removes `dev.heimdall-build.attempt=<attempt>`, which matches none of these.
 *
 * The id is HEIMDALL_DEPLOYMENT_ID when set. Otherwise it is a random id kept in
 * the deployment's own Redis (`<prefix>:deployment`, made by the first worker):
 * every worker of the deployment reads the same one, however it spells the
 * Redis URL, and two deployments differ even where their URLs and prefixes are
 * equal (two compose projects on one host both reach `redis://redis:6379`), which
 * a hash of the URL and prefix could not tell apart. A Redis that loses its data
 * makes a new id: the old id's containers are then no worker's to remove, and end
 * by their own time limit (see executor/time-guard.ts).
 */
import { randomBytes } from "node:crypto";

export const DEPLOYMENT_LABEL = "dev.heimdall-build.deployment";
/** The attempt, qualified by its deployment: unique on the host. */
export const ATTEMPT_LABEL = "dev.heimdall-build.attempt";
/** The deployment label of `heimdall-build run`'s containers: no worker's id may equal it. */
export const LOCAL_RUN_DEPLOYMENT = "local-run";

const DEPLOYMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** A deployment id error: a setting a worker refuses to start with. */
export class DeploymentIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentIdError";
  }
}

/** `id` when it is a usable deployment id; a DeploymentIdError says what is wrong with another. */
export function checkDeploymentId(id: string): string {
  if (!DEPLOYMENT_ID.test(id)) {
    throw new DeploymentIdError(
      `HEIMDALL_DEPLOYMENT_ID is 1 to 63 letters, digits, '.', '_' or '-' (not first), not '${id}'`,
    );
  }
  if (id === LOCAL_RUN_DEPLOYMENT) {
    throw new DeploymentIdError(`HEIMDALL_DEPLOYMENT_ID '${id}' is reserved for heimdall-build run's containers`);
  }
  return id;
}

/** The labels of an attempt's containers. */
export function attemptLabels(deployment: string, attemptId: string): Record<string, string> {
  return { [DEPLOYMENT_LABEL]: deployment, [ATTEMPT_LABEL]: `${deployment}/${attemptId}` };
}

/** The part of a Redis client the default id needs. */
export interface DeploymentStore {
  set(key: string, value: string, nx: "NX"): Promise<unknown>;
  get(key: string): Promise<string | null>;
}

export function deploymentKey(prefix: string): string {
  return `${prefix}:deployment`;
}

/**
 * The deployment's id: `configured` (HEIMDALL_DEPLOYMENT_ID) when given, else
 * the one kept in Redis under the prefix, made by whichever worker asks first.
 */
export async function deploymentIdOf(redis: DeploymentStore, prefix: string, configured?: string): Promise<string> {
  if (configured !== undefined) return checkDeploymentId(configured);
  const key = deploymentKey(prefix);
  // SET NX: of workers starting at once, one id wins and all read it.
  await redis.set(key, `d${randomBytes(8).toString("hex")}`, "NX");
  const id = await redis.get(key);
  if (id === null) throw new DeploymentIdError(`${key} vanished from Redis as it was read`);
  return checkDeploymentId(id);
}
