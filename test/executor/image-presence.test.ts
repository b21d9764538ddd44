/** What `docker image inspect` says of an image, asked of the real engine: present, absent, or no answer. */
import Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { ImageMissingError, imageForCell } from "../../src/executor/docker/cell-image.ts";
import { ImagePresenceError, imagesPresent } from "../../src/executor/docker/image-presence.ts";
import { uniqueImageTag, useLabelOnlyImage } from "../support/docker.ts";
import { configured } from "../support/executor.ts";

const present = uniqueImageTag("presence-present");
const absent = uniqueImageTag("presence-absent");
const engine = useLabelOnlyImage(present);

describe("imagesPresent", () => {
  it("says which images the engine has", async () => {
    expect(await imagesPresent(engine(), [present, absent])).toEqual(
      new Map([
        [present, true],
        [absent, false],
      ]),
    );
  });

  it("asks nothing of an empty list", async () => {
    expect(await imagesPresent(engine(), [])).toEqual(new Map());
  });

  it("throws ImagePresenceError, naming the image, when no engine answers", async () => {
    const nowhere = new Docker({ socketPath: "/nonexistent/docker.sock" });
    const failure = await imagesPresent(nowhere, [present]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ImagePresenceError);
    expect((failure as ImagePresenceError).image).toBe(present);
    expect((failure as Error).message).toMatch(
      new RegExp(`^docker image inspect ${present} failed: .*ENOENT.*/nonexistent/docker\\.sock`),
    );
  });
});

describe("imageForCell and a config's image", () => {
  const cellIn = (image: string) =>
    configured(`version: 1\nmatrix:\n  compiler: [clang@16]\nimage: ${image}\n`).cells[0] ?? expect.unreachable();

  it("gives the image as it is when the engine has it", async () => {
    expect(await imageForCell(engine(), cellIn(present))).toBe(present);
  });

  it("fails with ImageMissingError, which says nothing is pulled, when it does not", async () => {
    const failure = await imageForCell(engine(), cellIn(absent)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ImageMissingError);
    expect((failure as Error).message).toBe(
      `image '${absent}' is not on this host (no registry is pulled from): pull or build it first`,
    );
  });
});
