/** `heimdall-build images`: the compiler images of the catalog, listed or built ahead of the first cell. */
import { CATALOG, type CompilerFamily, type CompilerRelease, findCompiler } from "../config/catalog.ts";
import { renderTable } from "../report/text-table.ts";
import type { CliIo } from "./program.ts";

export interface ImagesOptions {
  readonly compiler: readonly string[];
  /** prune: every derived image, not only stale ones. */
  readonly all?: boolean;
}

/** The releases named by `--compiler gcc@12` (all with a recipe when none is named), or the first unknown name. */
function selected(names: readonly string[]): CompilerRelease[] | string {
  if (names.length === 0) return CATALOG.filter((r) => r.image !== null);
  const releases: CompilerRelease[] = [];
  for (const name of names) {
    const [family, version] = name.split("@");
    const release = findCompiler(family as CompilerFamily, Number(version));
    if (!release?.image) return name;
    releases.push(release);
  }
  return releases;
}

export async function imagesCommand(
  action: "list" | "build" | "prune",
  options: ImagesOptions,
  io: CliIo,
): Promise<number> {
  const releases = selected(options.compiler);
  if (typeof releases === "string") {
    io.stderr(`heimdall-build images: '${releases}' has no image recipe (see heimdall-build catalog)\n`);
    return 2;
  }
  const { default: Docker } = await import("dockerode");
  const { ensureImage, imageSpec, imageState } = await import("../executor/docker/images.ts");
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    io.stderr(`heimdall-build images: no Docker engine answers (${String(error)})\n`);
    return 2;
  }
  if (action === "prune") return prune(docker, options, io);
  const aptOptions = process.env.HEIMDALL_APT_OPTIONS ?? "";
  if (action === "list") {
    const rows: string[][] = [];
    for (const release of releases) {
      const spec = imageSpec(release, { aptOptions });
      const base = await docker
        .getImage(spec.base)
        .inspect()
        .then(() => "present")
        .catch(() => "missing");
      rows.push([
        `${release.family}@${release.version}`,
        spec.tag,
        await imageState(docker, spec),
        `${spec.base} (${base})`,
      ]);
    }
    io.stdout(`${renderTable(["COMPILER", "IMAGE", "STATE", "BASE"], rows)}\n`);
    return 0;
  }
  let failed = 0;
  for (const release of releases) {
    const spec = imageSpec(release, { aptOptions });
    const before = await imageState(docker, spec);
    if (before === "current") {
      io.stdout(`${spec.tag}: up to date\n`);
      continue;
    }
    io.stdout(`${spec.tag}: building (${before})\n`);
    const started = Date.now();
    try {
      await ensureImage(docker, spec, { onProgress: (line) => io.stderr(`  ${line}\n`) });
      io.stdout(`${spec.tag}: built in ${Math.round((Date.now() - started) / 1000)} s\n`);
    } catch (error) {
      failed++;
      io.stderr(`${spec.tag}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

async function prune(docker: import("dockerode"), options: ImagesOptions, io: CliIo): Promise<number> {
  const { pruneDerivedImages } = await import("../executor/docker/packages-prune.ts");
  const result = await pruneDerivedImages(docker, { all: options.all ?? false });
  const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
  for (const image of result.removed)
    io.stdout(`removed ${image.tag} (${image.base} + ${image.packages}, ${mb(image.bytes)})\n`);
  for (const image of result.kept) io.stdout(`kept ${image.tag}: ${image.reason}\n`);
  const freed = result.removed.reduce((sum, image) => sum + image.bytes, 0);
  const left = options.all ? "" : `, ${result.current} current left (--all removes them too)`;
  io.stdout(`${result.removed.length} derived images removed (${mb(freed)})${left}\n`);
  return 0;
}
