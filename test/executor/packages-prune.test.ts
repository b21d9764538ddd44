/**
 * `images prune` on a real engine: derived images whose base was rebuilt
 * (or is gone) are removed, current ones stay unless `all`, and one a
 * container uses is kept, saying so. The images are label-only stand-ins in
 * a repository of the test's own, so the machine's real derived images are
 * never touched.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, expect, test } from "vitest";
import { PACKAGES_LABELS } from "../../src/executor/docker/packages-image.ts";
import { pruneDerivedImages } from "../../src/executor/docker/packages-prune.ts";
import { labelOnlyImage, requireDocker, uniqueImageTag } from "../support/docker.ts";

const repository = `heimdall-build-test/with-packages-${randomBytes(4).toString("hex")}`;
const base = uniqueImageTag("prune-base");
let docker: Docker;
let context: string;
let container: Docker.Container | undefined;

async function derived(name: string, labels: Record<string, string>): Promise<string> {
  const tag = `${repository}:${name}`;
  const stream = await docker.buildImage({ context, src: ["Dockerfile"] }, {
    t: tag,
    pull: false,
    rm: true,
    labels: JSON.stringify(labels),
  } as unknown as Docker.ImageBuildOptions);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
      const failure = error?.message ?? events.find((e) => e.error)?.error;
      if (failure) reject(new Error(failure));
      else resolve();
    }),
  );
  return tag;
}

beforeAll(async () => {
  docker = await requireDocker();
  context = await mkdtemp(path.join(tmpdir(), "heimdall-prune-"));
  await labelOnlyImage(docker, base);
  await writeFile(path.join(context, "Dockerfile"), `FROM ${base}\n`);
  const baseId = (await docker.getImage(base).inspect()).Id;
  const of = (packages: string, id: string, from = base) => ({
    [PACKAGES_LABELS.base]: from,
    [PACKAGES_LABELS.baseId]: id,
    [PACKAGES_LABELS.packages]: packages,
  });
  await derived("current", of("libfoo-dev", baseId));
  await derived("rebuilt", of("libbar-dev", "sha256:0123"));
  await derived("gone", of("libbaz-dev", baseId, "heimdall-build-test/no-such-base:1"));
  const used = await derived("used", of("libqux-dev", "sha256:4567"));
  container = await docker.createContainer({ Image: used, Cmd: ["true"] });
}, 120_000);

afterAll(async () => {
  await container?.remove({ force: true }).catch(() => undefined);
  for (const name of ["current", "rebuilt", "gone", "used"])
    await docker
      ?.getImage(`${repository}:${name}`)
      .remove({ force: true })
      .catch(() => undefined);
  await docker
    ?.getImage(base)
    .remove({ force: true })
    .catch(() => undefined);
  await rm(context, { recursive: true, force: true });
});

test("stale ones go, current ones stay, one a container uses is kept; --all takes the current ones too", async () => {
  const first = await pruneDerivedImages(docker, { repository });
  expect(first.removed.map((i) => [i.tag, i.base, i.packages]).sort()).toEqual([
    [`${repository}:gone`, "heimdall-build-test/no-such-base:1", "libbaz-dev"],
    [`${repository}:rebuilt`, base, "libbar-dev"],
  ]);
  expect(first.kept.map((i) => [i.tag, i.reason])).toEqual([[`${repository}:used`, "a container uses it"]]);
  expect(first.current).toBe(1);

  const all = await pruneDerivedImages(docker, { repository, all: true });
  expect(all.removed.map((i) => i.tag)).toEqual([`${repository}:current`]);
  expect(all.kept.map((i) => i.tag)).toEqual([`${repository}:used`]);
  const left = await docker.listImages({ filters: { reference: [repository] } });
  expect(left.flatMap((i) => i.RepoTags ?? [])).toEqual([`${repository}:used`]);
}, 120_000);
