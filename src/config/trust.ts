/**
 * The trust boundary of a pull request from a fork. The fork writes its head
 * commit's `.heimdall-build.yml`, so that file may decide *what* is built (the
 * matrix, the build and test commands, artifacts), never *whether or how* the
 * fork's code runs: every setting below is taken from the config on the
 * repository's default branch (or its default when that has none, or a broken
 * one). Not the pull request's base branch: the fork chooses that one.
 */
import { namesIn } from "./interpolate.ts";
import { type Cell, expandMatrix } from "./matrix.ts";
import { type Config, configSchema } from "./schema.ts";

/**
 * Settings a fork cannot choose, and why each is one:
 * - fork_prs: whether the fork's code runs at all (approval);
 * - network: whether it reaches the network (forks never do; kept anyway);
 * - cache: whether it shares a compiler cache;
 * - image: what it runs in (an image can hold anything), the top level's and include entries';
 * - timeout_minutes: how long it holds a worker;
 * - max_parallel: how many workers it holds at once;
 * - cancel_superseded: whether its commits cancel other builds of the pull request.
 *
 * `packages` (top level and include entries) is the fork's: it says what the
 * fork's code needs to build, like its build commands. What it cannot change
 * is where packages come from or how they are installed: they come from the
 * archive the image configures (the image being the default branch's or the
 * catalog's), are installed by the image build with no file of the
 * repository in it, and the cells that then run the fork's code stay as
 * hardened and offline as ever. What a package installs runs only there
 * (maintainer scripts at install time, as root, but no repository code).
 *
 * `env` (the top level's, `build.script.env`, include entries') and include
 * entries' `configure_args` stay the fork's, like its build commands: they
 * reach only its own cells' builds, in the same hardened container, after the
 * compiler check, and cannot set what heimdall-build sets (the cell's own
 * variables, its compiler and flags, the worker's cache: cell-environment.ts).
 */
export const BASE_BRANCH_SETTINGS = [
  "fork_prs",
  "network",
  "cache",
  "image",
  "timeout_minutes",
  "max_parallel",
  "cancel_superseded",
] as const satisfies readonly (keyof Config)[];

export type BaseBranchSetting = (typeof BASE_BRANCH_SETTINGS)[number];
export type TrustSettings = Pick<Config, BaseBranchSetting>;

/** The default branch's trust settings; the defaults when it has no usable config. */
export function trustSettingsOf(base: Config | null): TrustSettings {
  const shape = configSchema.shape;
  return {
    fork_prs: base ? base.fork_prs : shape.fork_prs.parse(undefined),
    network: base ? base.network : shape.network.parse(undefined),
    cache: base ? base.cache : shape.cache.parse(undefined),
    image: base?.image,
    timeout_minutes: base ? base.timeout_minutes : shape.timeout_minutes.parse(undefined),
    max_parallel: base?.max_parallel,
    cancel_superseded: base ? base.cancel_superseded : shape.cancel_superseded.parse(undefined),
  };
}

/**
 * What `fork_prs` makes of a commit: built at once, held until a user with
 * write access approves it, or not built at all. A commit of the repository
 * itself is always built. For a fork, `settings` are forkConfig's (the
 * default branch's `fork_prs`).
 */
export type ForkAdmission = "build" | "approval" | "none";

export function forkAdmission(settings: Pick<Config, "fork_prs">, fork: boolean): ForkAdmission {
  if (!fork) return "build";
  switch (settings.fork_prs) {
    case "run":
      return "build";
    case "skip":
      return "none";
    case "approve":
      return "approval";
  }
}

/** Whether a cell's build container reaches the network: its config asks (`network: true`), and it is no fork's. */
export function buildNetwork(settings: Pick<Config, "network">, fork: boolean): boolean {
  return settings.network && !fork;
}

export interface ForkConfig {
  /** The fork's config with every trust setting replaced by the default branch's. */
  readonly config: Config;
  /** The cells of that config (an image from the default branch can change which cells are skipped). */
  readonly cells: readonly Cell[];
  /** The settings whose value in the fork's file was not used, for the logs and the summary. */
  readonly overridden: readonly BaseBranchSetting[];
}

export function forkConfig(head: Config, base: Config | null): ForkConfig {
  const trust = trustSettingsOf(base);
  // An include entry's image is an image the fork would choose: its cells take the default branch's (or the catalog's).
  const include = head.matrix.include?.map(({ image: _image, ...entry }) => entry);
  const matrix = include ? { ...head.matrix, include } : head.matrix;
  const config: Config = { ...head, matrix, ...trust };
  if (trust.image === undefined) delete (config as { image?: string }).image;
  if (trust.max_parallel === undefined) delete (config as { max_parallel?: number }).max_parallel;
  const overridden: BaseBranchSetting[] = BASE_BRANCH_SETTINGS.filter((key) => head[key] !== config[key]);
  if (head.matrix.include?.some((entry) => entry.image !== undefined) && !overridden.includes("image")) {
    overridden.push("image");
  }
  return { config, cells: expandMatrix(config).cells.map((cell) => imageOfTheBase(cell, base)), overridden };
}

/**
 * The default branch's image written in with a fork's custom axis value
 * would let the fork choose the image after all (`org/ci-${{ matrix.flavor }}`):
 * a custom axis in it must have a value the default branch's own matrix
 * lists, else the cell is skipped saying so. Built-in axes are the catalog's
 * values, which a fork cannot extend.
 */
function imageOfTheBase(cell: Cell, base: Config | null): Cell {
  const image = base?.image;
  if (cell.skipped || image === undefined || cell.platform !== "linux") return cell;
  const listed = base?.matrix.axes ?? {};
  const foreign = namesIn(image).find(
    (name) => name in cell.customAxes && !listed[name]?.includes(cell.customAxes[name] ?? ""),
  );
  if (foreign === undefined) return cell;
  const values = listed[foreign]?.join(", ");
  const reason = `the default branch's image ${image} names matrix.${foreign}, and '${cell.customAxes[foreign]}' is not one of its values there (${values ? values : "it has no such axis"}): a fork does not choose the image`;
  return { ...cell, skipped: true, skipReason: reason, stdFlag: null, cStdFlag: null };
}
