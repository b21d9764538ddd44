/**
 * Build images from the recipes in `images/`, as the compiler catalog names
 * them: once, reused while the recipe is unchanged (a digest label says so),
 * and never two builds of one tag at a time in a process.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import { type CompilerRelease, imageTag } from "../../config/catalog.ts";
import { lockFile } from "../file-lock.ts";

/** `images/` in the installed package (src/executor/docker → ../../../images, also from dist/). */
export const DEFAULT_IMAGES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../images");

const DIGEST_LABEL = "dev.heimdall-build.recipe-digest";

export interface ImageBuildOptions {
  /** Called with each line the build prints, for progress. */
  readonly onProgress?: (line: string) => void;
  /**
   * Where the build lock is taken: a folder every process using this engine
   * sees (workers in containers share their cache folder, not their /tmp).
   */
  readonly lockDir?: string;
}

export class ImageBuildError extends Error {
  readonly log: readonly string[];
  constructor(message: string, log: readonly string[]) {
    super(message);
    this.name = "ImageBuildError";
    this.log = log;
  }
}

export interface ImageSpec {
  readonly tag: string;
  readonly recipeDir: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** The base image the recipe starts from, which must exist locally. */
  readonly base: string;
  /** Labels the image carries besides the recipe's digest (what a derived image is made of). */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface RecipeOptions {
  readonly imagesDir?: string;
  /** Extra apt options for the recipe (HEIMDALL_APT_OPTIONS), e.g. for a snapshot mirror. */
  readonly aptOptions?: string;
}

export function imageSpec(release: CompilerRelease, options: RecipeOptions = {}): ImageSpec {
  const imagesDir = options.imagesDir ?? DEFAULT_IMAGES_DIR;
  const tag = imageTag(release);
  if (!release.image || !tag) throw new Error(`${release.family}@${release.version} has no image recipe`);
  const { recipe, base, packages, cc, cxx } = release.image;
  return {
    tag,
    recipeDir: path.join(imagesDir, recipe),
    base,
    buildArgs: { BASE: base, PACKAGES: packages.join(" "), CC: cc, CXX: cxx, APT_OPTIONS: options.aptOptions ?? "" },
  };
}

async function recipeDigest(spec: ImageSpec): Promise<string> {
  const dockerfile = await readFile(path.join(spec.recipeDir, "Dockerfile"));
  return createHash("sha256").update(dockerfile).update(JSON.stringify(spec.buildArgs)).digest("hex").slice(0, 16);
}

const building = new Map<string, Promise<string>>();

/** The image's tag, built first when missing or made from an older recipe. */
export function ensureImage(docker: Docker, spec: ImageSpec, options: ImageBuildOptions = {}): Promise<string> {
  const pending = building.get(spec.tag);
  if (pending) return pending;
  const work = buildIfStale(docker, spec, options).finally(() => building.delete(spec.tag));
  building.set(spec.tag, work);
  return work;
}

export type ImageState = "current" | "stale" | "missing";

/** Whether the image is built from the recipe as it is now. */
export async function imageState(docker: Docker, spec: ImageSpec): Promise<ImageState> {
  const existing = await docker
    .getImage(spec.tag)
    .inspect()
    .catch(() => null);
  if (!existing) return "missing";
  return existing.Config?.Labels?.[DIGEST_LABEL] === (await recipeDigest(spec)) ? "current" : "stale";
}

/** How long one image build may take; a lock older than this is broken. */
const BUILD_LIMIT_MS = 60 * 60_000;

async function buildIfStale(docker: Docker, spec: ImageSpec, options: ImageBuildOptions): Promise<string> {
  if ((await imageState(docker, spec)) === "current") return spec.tag;
  // Workers on one host share its engine: one builds, the others wait and reuse.
  const lockDir = options.lockDir ?? os.tmpdir();
  await mkdir(lockDir, { recursive: true });
  const lock = path.join(
    lockDir,
    `heimdall-build-image-${createHash("sha256").update(spec.tag).digest("hex").slice(0, 16)}.lock`,
  );
  const unlock = await lockFile(lock, Date.now() + BUILD_LIMIT_MS, BUILD_LIMIT_MS);
  try {
    if ((await imageState(docker, spec)) === "current") return spec.tag;
    return await build(docker, spec, options);
  } finally {
    await unlock();
  }
}

async function build(docker: Docker, spec: ImageSpec, options: ImageBuildOptions): Promise<string> {
  const digest = await recipeDigest(spec);

  const base = await docker
    .getImage(spec.base)
    .inspect()
    .catch(() => null);
  if (!base) {
    const suite = spec.base.split(":")[1] ?? spec.base;
    throw new ImageBuildError(
      `base image ${spec.base} is missing; make it from Debian's archive with: scripts/seed-base-image.sh ${suite}`,
      [],
    );
  }

  const stream = await docker.buildImage(
    { context: spec.recipeDir, src: ["Dockerfile"] },
    {
      t: spec.tag,
      buildargs: { ...spec.buildArgs },
      labels: { ...spec.labels, [DIGEST_LABEL]: digest },
      pull: false,
      rm: true,
      forcerm: true,
    },
  );
  const log = await followBuild(docker, stream, options.onProgress);
  const built = await docker
    .getImage(spec.tag)
    .inspect()
    .catch(() => null);
  if (built?.Config?.Labels?.[DIGEST_LABEL] !== digest) {
    throw new ImageBuildError(`building ${spec.tag} finished without the image`, log);
  }
  return spec.tag;
}

interface BuildEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** The build's output; rejects with the build's own error message and the last lines of its log. */
function followBuild(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onProgress?: (line: string) => void,
): Promise<string[]> {
  const log: string[] = [];
  // A RUN step's output arrives in pieces that may end mid-line ("E", ": Unable to locate…"):
  // a line is logged once its newline has come, so that a line of the log is a line printed.
  let partial = "";
  const add = (line: string) => {
    if (line.trim() === "") return;
    // Keep the tail only: a build can print a lot.
    if (log.length >= 2000) log.shift();
    log.push(line);
    onProgress?.(line);
  };
  const flush = () => {
    add(partial);
    partial = "";
  };
  return new Promise((resolve, reject) => {
    let failure: string | null = null;
    docker.modem.followProgress(
      stream,
      (error: Error | null) => {
        flush();
        if (error) reject(new ImageBuildError(`image build stream failed: ${error.message}`, log));
        else if (failure)
          reject(new ImageBuildError(`image build failed: ${failure}\n${log.slice(-30).join("\n")}`, log));
        else resolve(log);
      },
      (event: BuildEvent) => {
        if (event.stream !== undefined && !event.error) {
          const lines = (partial + event.stream).split("\n");
          partial = (lines.pop() ?? "").slice(-4096);
          for (const line of lines) add(line);
          return;
        }
        // A status or an error is a message of its own.
        flush();
        if (event.error) failure = event.errorDetail?.message ?? event.error;
        for (const line of (event.error ?? event.status ?? "").split("\n")) add(line);
      },
    );
  });
}
