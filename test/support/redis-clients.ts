/**
 * The Redis connections a process holds, as Redis lists them (CLIENT LIST):
 * those whose client port is a socket of that process (/proc/<pid>/fd against
 * /proc/net/tcp*). Other processes' connections (parallel tests) are not counted.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { Redis } from "ioredis";

export async function redisClientsOf(redis: Redis, pid: number): Promise<string[]> {
  const ports = localPortsTo(pid, redis.options.port ?? 6379);
  const list = (await redis.client("LIST")) as string;
  return list
    .split("\n")
    .filter((line) => ports.has(Number(/\baddr=\S+:(\d+)\b/.exec(line)?.[1])))
    .map((line) => /\baddr=(\S+)/.exec(line)?.[1] ?? line);
}

/** The local ports of `pid`'s TCP sockets connected to `remotePort`. */
function localPortsTo(pid: number, remotePort: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (socket?.[1]) inodes.add(socket[1]);
    } catch {
      // Closed while being listed.
    }
  }
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const [, local, remote, , , , , , , inode] = line.trim().split(/\s+/);
      if (!local || !remote || !inode || !inodes.has(inode)) continue;
      if (Number.parseInt(remote.split(":").at(-1) ?? "", 16) === remotePort) {
        ports.add(Number.parseInt(local.split(":").at(-1) ?? "", 16));
      }
    }
  }
  return ports;
}
