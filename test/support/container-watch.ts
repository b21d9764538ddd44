/**
 * Watching a test's cell containers on the real engine: their lifetimes as the
 * engine's own ordered event stream tells them (what ran at once is read from
 * the order of starts and deaths, never from clocks), and a gate a cell's
 * script waits on, opened by the test when it has seen what it needs running.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import { SOURCE_DIR } from "../../src/executor/cell-script.ts";
import { labelFilter } from "../../src/executor/docker/container.ts";

/** A container's start or death, in the engine's order, with its labels. */
export interface ContainerEvent {
  readonly action: "start" | "die";
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ContainerEvents {
  /** Every start and death so far, oldest first. */
  readonly events: readonly ContainerEvent[];
  stop(): void;
}

/** One event of the engine's stream, as it writes it. */
export interface EngineEvent {
  readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes: Record<string, string> };
}

/** Calls `onEvent` for each event of the engine's stream matching `filters`, from now on, in its order. */
export async function watchEngineEvents(
  docker: Docker,
  filters: Record<string, string[]>,
  onEvent: (event: EngineEvent) => void,
): Promise<{ stop(): void }> {
  const stream = (await docker.getEvents({ filters })) as NodeJS.ReadableStream & { destroy(): void };
  let pending = "";
  stream.on("data", (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines.filter((l) => l.trim() !== "")) onEvent(JSON.parse(line) as EngineEvent);
  });
  stream.on("error", () => undefined);
  return { stop: () => stream.destroy() };
}

/** Records, from now on, the starts and deaths of containers carrying `labels`. */
export async function recordContainerEvents(
  docker: Docker,
  labels: Readonly<Record<string, string>>,
): Promise<ContainerEvents> {
  const events: ContainerEvent[] = [];
  const filters = { type: ["container"], event: ["start", "die"], label: labelFilter(labels) };
  const { stop } = await watchEngineEvents(docker, filters, (event) => {
    if (event.Action === "start" || event.Action === "die") {
      events.push({ action: event.Action, id: event.Actor.ID, labels: event.Actor.Attributes });
    }
  });
  return { events, stop };
}

/** The most containers alive at once in `events`, replayed in their order. */
export function mostAtOnce(events: readonly ContainerEvent[]): number {
  const alive = new Set<string>();
  let most = 0;
  for (const event of events) {
    if (event.action === "start") alive.add(event.id);
    else alive.delete(event.id);
    most = Math.max(most, alive.size);
  }
  return most;
}

/** A script that waits for its gate, then fails: the test decides when, having seen what it needs running. */
export const FAIL_AT_GATE = `while [ ! -e ${SOURCE_DIR}/gate ]; do sleep 0.2; done; echo failing on purpose; exit 1`;

/**
 * The running container carrying `labels` whose workspace (the folder it mounts
 * at SOURCE_DIR) is named `workspace…`: a worker's `attempt-<id>-…`, a run's `<cell id>-…`.
 */
export async function runningCell(
  docker: Docker,
  labels: Readonly<Record<string, string>>,
  workspace: string,
): Promise<{ readonly id: string; readonly workspace: string } | undefined> {
  const running = await docker.listContainers({ filters: { label: labelFilter(labels), status: ["running"] } });
  for (const { Id, Mounts } of running) {
    const source = Mounts.find((m) => m.Destination === SOURCE_DIR)?.Source;
    if (source && path.basename(source).startsWith(workspace)) return { id: Id, workspace: source };
  }
  return undefined;
}

/** Opens the gate FAIL_AT_GATE waits for in that running cell's workspace. */
export async function openGate(
  docker: Docker,
  labels: Readonly<Record<string, string>>,
  workspace: string,
): Promise<void> {
  const cell = await runningCell(docker, labels, workspace);
  if (!cell) throw new Error(`no running cell with a workspace named ${workspace}…`);
  await writeFile(path.join(cell.workspace, "gate"), "");
}
