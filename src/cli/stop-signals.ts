/**
 * SIGTERM and SIGINT for the long-running commands (server, worker). The first
 * starts the command's orderly stop, which closes everything it opened, so the
 * process then ends by itself with the command's code. Should something still
 * hold it 10 s after the signal (what supervisors wait before SIGKILL), it exits
 * anyway with 1, naming what was still open; a second signal exits at once.
 */
import type { CliIo } from "./program.ts";

export const STOP_DEADLINE_MS = 10_000;

export function untilStopSignal(io: CliIo, command: string, deadlineMs = STOP_DEADLINE_MS): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received: NodeJS.Signals | null = null;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        io.stderr(`heimdall-build ${command}: ${signal} again: exiting now\n`);
        process.exit(1);
      }
      received = signal;
      // Unreferenced: it never keeps the process alive, it only fires if something else does.
      setTimeout(() => {
        io.stderr(
          `heimdall-build ${command}: still running ${deadlineMs / 1000} s after ${signal}; exiting (still open: ${openResources()})\n`,
        );
        process.exit(1);
      }, deadlineMs).unref();
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** What keeps the event loop alive, counted by kind: "TCPSocketWrap ×2, Timeout". */
function openResources(): string {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => (n > 1 ? `${kind} ×${n}` : kind)).join(", ") || "nothing";
}
