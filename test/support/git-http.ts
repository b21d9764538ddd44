/**
 * A smart-HTTP git server on 127.0.0.1: git's own `git http-backend` run as a
 * CGI script per request by a small node server, serving the bare
 * repositories under `root` (see `publish`). Each request's path, Host and
 * Authorization headers are kept, for tests about what reached the server.
 */
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { git } from "./git.ts";

export interface GitRequest {
  readonly method: string;
  readonly path: string;
  /** The Host header: which name the client reached this server by. */
  readonly host: string | undefined;
  readonly authorization: string | undefined;
}

export interface GitHttpServer {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly port: number;
  readonly requests: GitRequest[];
  close(): Promise<void>;
}

export async function startGitHttpServer(root: string): Promise<GitHttpServer> {
  const requests: GitRequest[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    requests.push({
      method: request.method ?? "",
      path: url.pathname,
      host: request.headers.host,
      authorization: request.headers.authorization,
    });
    backend(root, url, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One CGI call of `git http-backend`: the request's body in, its headers and body back out. */
function backend(root: string, url: URL, request: IncomingMessage, response: ServerResponse): void {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(", ") : (value ?? "");
  };
  const child = spawn("git", ["http-backend"], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      REQUEST_METHOD: request.method ?? "GET",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: header("content-type"),
      REMOTE_ADDR: request.socket.remoteAddress ?? "127.0.0.1",
      // A gzip'd request body (git compresses large negotiations), and protocol v2.
      HTTP_CONTENT_ENCODING: header("content-encoding"),
      GIT_PROTOCOL: header("git-protocol"),
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  request.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersSent) {
      response.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    let status = 200;
    for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else response.setHeader(name, value);
    }
    response.writeHead(status);
    headersSent = true;
    response.write(head.subarray(end + 4));
  });
  child.on("close", () => {
    if (!headersSent) response.writeHead(500);
    response.end();
  });
}

/**
 * A repository made in `<scratch>/work/<name>` by `make` (which adds what it
 * writes), committed and published bare as `<scratch>/served/<name>.git`; its HEAD.
 */
export async function publish(scratch: string, name: string, make: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(scratch, "work", name);
  await mkdir(dir, { recursive: true });
  await git(dir, "init", "--quiet", "--initial-branch=main");
  await make(dir);
  await git(dir, "commit", "--quiet", "-m", name);
  await git(scratch, "clone", "--quiet", "--bare", dir, path.join(scratch, "served", `${name}.git`));
  return git(dir, "rev-parse", "HEAD");
}
