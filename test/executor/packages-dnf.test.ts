/**
 * The packages recipe's dnf branch (Rocky images), on a real engine. No Rocky
 * image or archive is reachable from this machine, so the base is Debian's
 * with apt-get taken away and a stand-in `dnf` that records its arguments and
 * answers an unknown name as dnf 4 does ("Error: Unable to find a match").
 * What is shown is ours: the recipe picks dnf when there is no apt-get, gives
 * it the options and the names (name=version written name-version), and a
 * refusal reaches the cell in dnf's words.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ensurePackagesImage, PackagesInstallError } from "../../src/executor/docker/packages-image.ts";
import { requireDocker, uniqueImageTag } from "../support/docker.ts";

const DNF = `#!/bin/sh
echo "$*" >> /var/log/dnf-calls
for word in "$@"; do
  case "$word" in nosuch*) echo "Error: Unable to find a match: $word"; exit 1 ;; esac
done
`;

let docker: Docker;
let context: string;
const base = uniqueImageTag("dnf-base");
const made: string[] = [];

beforeAll(async () => {
  docker = await requireDocker();
  context = await mkdtemp(path.join(tmpdir(), "heimdall-dnf-"));
  await writeFile(path.join(context, "dnf"), DNF, { mode: 0o755 });
  await writeFile(
    path.join(context, "Dockerfile"),
    "FROM debian:bookworm\nRUN rm -f /usr/bin/apt-get\nCOPY dnf /usr/local/bin/dnf\nRUN useradd -u 1000 -m builder\nUSER builder\n",
  );
  const stream = await docker.buildImage({ context, src: ["Dockerfile", "dnf"] }, { t: base, pull: false, rm: true });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
      const failure = error?.message ?? events.find((e) => e.error)?.error;
      if (failure) reject(new Error(failure));
      else resolve();
    }),
  );
}, 300_000);

afterAll(async () => {
  for (const tag of [...made, base])
    await docker
      ?.getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  await rm(context, { recursive: true, force: true });
});

async function output(image: string, command: string[]): Promise<string> {
  let text = "";
  const sink = new PassThrough();
  sink.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const [result] = (await docker.run(image, command, [sink, sink], {
    Tty: false,
    HostConfig: { AutoRemove: true },
  })) as [{ StatusCode: number }];
  expect(result.StatusCode).toBe(0);
  return text;
}

test("without apt-get, dnf installs the names (a version as name-version) and the base's user is restored", async () => {
  const image = await ensurePackagesImage(docker, base, ["zlib-devel", "openssl-devel=3.0.7-27.el9"]);
  made.push(image);
  expect(await output(image, ["cat", "/var/log/dnf-calls"])).toBe(
    "-y --setopt=install_weak_deps=False --setopt=tsflags=nodocs install openssl-devel-3.0.7-27.el9 zlib-devel\nclean all\n",
  );
  expect(await output(image, ["id", "-un"])).toBe("builder\n");
}, 300_000);

test("a name dnf cannot find fails with dnf's own words", async () => {
  const failed = await ensurePackagesImage(docker, base, ["nosuchpkg-devel"]).catch((error: unknown) => error);
  expect(failed).toBeInstanceOf(PackagesInstallError);
  expect((failed as Error).message.split("\n")[0]).toBe(
    `the packages could not be installed into ${base}: Error: Unable to find a match: nosuchpkg-devel`,
  );
}, 300_000);
