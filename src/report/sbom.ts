/**
 * A CycloneDX SBOM for one cell: what was built (the repository at its
 * commit), with what (the compiler and the image's Debian packages), and what
 * came out (the collected artifacts with their SHA-256), written with the
 * CycloneDX library's model and JSON serializer.
 *
 * The image's package list is read by `dpkg-query` in a throw-away hardened
 * container. An image can be named by the repository's own config, so its
 * output is untrusted: bounded in size and count, each field checked.
 */
import { randomUUID } from "node:crypto";
import { Enums, Models, Serialize, Spec } from "@cyclonedx/cyclonedx-library";
import { PackageURL } from "packageurl-js";

/** The spec version written: 1.6 is what SBOM consumers read today; the library also writes 1.7. */
export const SBOM_SPEC_VERSION = Spec.Version.v1dot6;
const SPEC = Spec.Spec1dot6;

export interface ImagePackage {
  readonly name: string;
  readonly version: string;
  readonly arch?: string;
}

export interface SbomArtifact {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface CellSbomInput {
  /** `owner/name` on GitHub. */
  readonly repository: string;
  /** The commit built (40 or 64 hex digits). */
  readonly headSha: string;
  readonly cell: {
    readonly name: string;
    /** The compiler family, e.g. `gcc`. */
    readonly compiler: string;
    readonly version: number;
    /** The compiler as it identified itself in the cell: its full version and `--version` line. */
    readonly identified?: { readonly version: string; readonly versionLine: string } | null;
    readonly stdFlag: string | null;
    readonly image: string;
  };
  readonly imagePackages: readonly ImagePackage[];
  readonly artifacts: readonly SbomArtifact[];
  readonly tool: { readonly name: "heimdall-build"; readonly version: string };
  /** When the SBOM was made; now by default. */
  readonly timestamp?: Date;
}

/** Prefix of the properties heimdall-build sets. */
const PROPERTY = "heimdall-build";

/** GitHub's rules: an owner is letters, digits and `-`; a repository name also `_` and `.`, but not `.` or `..`. */
const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}$/;

/** `owner/name` as GitHub allows it (what an SBOM's repository must be). */
export function isRepositoryName(text: string): boolean {
  return REPOSITORY.test(text);
}
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** Debian policy 5.6.1: lowercase letters, digits, `+ - .`; at least two characters. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]{1,127}$/;
/** Debian policy 5.6.12, loosely: [epoch:]upstream[-revision] from these characters. */
const PACKAGE_VERSION = /^(?:[0-9]{1,9}:)?[A-Za-z0-9][A-Za-z0-9.+~:-]{0,254}$/;
const ARCHITECTURE = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Packages a compiler family is installed from in the catalog's images, by version. */
const COMPILER_PACKAGES: Readonly<Record<string, (version: number) => readonly string[]>> = {
  gcc: (v) => [`g++-${v}`, `gcc-${v}`],
  clang: (v) => [`clang-${v}`],
};

export function cellSbom(input: CellSbomInput): string {
  if (!REPOSITORY.test(input.repository)) throw new TypeError(`not a repository name: ${input.repository}`);
  if (!COMMIT.test(input.headSha)) throw new TypeError(`not a commit: ${input.headSha}`);
  const [owner = "", name = ""] = input.repository.split("/");

  const repository = new Models.Component(Enums.ComponentType.Application, input.repository, {
    bomRef: `repository:${input.repository}@${input.headSha}`,
    version: input.headSha,
    purl: new PackageURL("github", owner, name, input.headSha, undefined, undefined).toString(),
    externalReferences: new Models.ExternalReferenceRepository([
      new Models.ExternalReference(`https://github.com/${input.repository}.git`, Enums.ExternalReferenceType.VCS, {
        comment: `commit ${input.headSha}`,
      }),
    ]),
  });

  const toolchain = new Models.Component(Enums.ComponentType.Application, input.cell.compiler, {
    bomRef: `toolchain:${input.cell.compiler}@${input.cell.version}`,
    // What the compiler said it is, when the cell asked it; else the catalog's major version.
    version: input.cell.identified?.version ?? String(input.cell.version),
    description: "The C/C++ compiler the cell was built with",
    properties: new Models.PropertyRepository([
      ...(input.cell.stdFlag ? [new Models.Property(`${PROPERTY}:std-flag`, input.cell.stdFlag)] : []),
      ...(input.cell.identified
        ? [new Models.Property(`${PROPERTY}:compiler-version-line`, input.cell.identified.versionLine)]
        : []),
    ]),
  });
  repository.dependencies.add(toolchain.bomRef);

  const bom = new Models.Bom({
    serialNumber: `urn:uuid:${randomUUID()}`,
    metadata: new Models.Metadata({
      timestamp: input.timestamp ?? new Date(),
      tools: new Models.Tools({
        components: new Models.ComponentRepository([
          new Models.Component(Enums.ComponentType.Application, input.tool.name, { version: input.tool.version }),
        ]),
      }),
      component: repository,
      properties: new Models.PropertyRepository([
        new Models.Property(`${PROPERTY}:cell`, input.cell.name),
        new Models.Property(`${PROPERTY}:image`, input.cell.image),
      ]),
    }),
  });
  bom.components.add(toolchain);

  const seenArtifacts = new Set<string>();
  for (const artifact of input.artifacts) {
    if (!SHA256.test(artifact.sha256)) throw new TypeError(`not a SHA-256: ${artifact.sha256}`);
    if (!Number.isSafeInteger(artifact.size) || artifact.size < 0) throw new TypeError(`not a size: ${artifact.size}`);
    if (artifact.path.length === 0 || artifact.path.length > 4096)
      throw new TypeError("an artifact path is 1 to 4096 characters");
    if (seenArtifacts.has(artifact.path)) continue;
    seenArtifacts.add(artifact.path);
    bom.components.add(
      new Models.Component(Enums.ComponentType.File, artifact.path, {
        bomRef: `artifact:${artifact.path}`,
        hashes: new Models.HashDictionary([[Enums.HashAlgorithm["SHA-256"], artifact.sha256]]),
        properties: new Models.PropertyRepository([new Models.Property(`${PROPERTY}:size`, String(artifact.size))]),
      }),
    );
  }

  const byName = new Map<string, Models.Component>();
  const seenPackages = new Set<string>();
  for (const pkg of input.imagePackages) {
    checkPackage(pkg);
    const qualifiers = pkg.arch ? { arch: pkg.arch } : undefined;
    const purl = new PackageURL("deb", "debian", pkg.name, pkg.version, qualifiers, undefined).toString();
    if (seenPackages.has(purl)) continue;
    seenPackages.add(purl);
    const component = new Models.Component(Enums.ComponentType.Library, pkg.name, {
      bomRef: purl,
      version: pkg.version,
      purl,
    });
    bom.components.add(component);
    if (!byName.has(pkg.name)) byName.set(pkg.name, component);
  }
  for (const packageName of COMPILER_PACKAGES[input.cell.compiler]?.(input.cell.version) ?? []) {
    const provider = byName.get(packageName);
    if (provider) toolchain.dependencies.add(provider.bomRef);
  }

  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(SPEC));
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}

function checkPackage(pkg: ImagePackage): void {
  if (!PACKAGE_NAME.test(pkg.name)) throw new TypeError(`not a Debian package name: ${JSON.stringify(pkg.name)}`);
  if (!PACKAGE_VERSION.test(pkg.version))
    throw new TypeError(`not a Debian version: ${JSON.stringify(pkg.version)} (${pkg.name})`);
  if (pkg.arch !== undefined && !ARCHITECTURE.test(pkg.arch))
    throw new TypeError(`not a Debian architecture: ${JSON.stringify(pkg.arch)} (${pkg.name})`);
}

/** The most of dpkg-query's output read, and the most packages kept. */
export const DPKG_LIMITS = { outputBytes: 4 * 1024 * 1024, packages: 20_000 } as const;

/**
 * One line per package: name, version, architecture and dpkg's status
 * abbreviation (`ii ` when installed). The status is there so that packages
 * removed but with their configuration files still on disk (`rc`) are left out.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's format, not a template.
export const DPKG_FORMAT = "${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n";

/** dpkg-query's lines (in {@link DPKG_FORMAT}) as packages; only installed ones, each once. */
export function parseDpkgQuery(output: string): ImagePackage[] {
  const packages: ImagePackage[] = [];
  const seen = new Set<string>();
  for (const line of output.split("\n")) {
    // Empty lines, and dpkg-query's own warnings (stderr arrives in the same stream).
    if (line.length === 0 || line.startsWith("dpkg-query: ")) continue;
    const fields = line.split("\t");
    const [name = "", version = "", arch = "", status = ""] = fields;
    if (fields.length !== 4 || !/^[a-z][a-zA-Z ][a-zA-Z ]?$/.test(status))
      throw new Error(`dpkg-query printed an unexpected line: ${JSON.stringify(line.slice(0, 200))}`);
    // The second letter is the package's state: `i` installed; `c` only config files left, etc.
    if (status[1] !== "i") continue;
    const pkg = { name, version, arch };
    checkPackage(pkg);
    const key = `${name}:${arch}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (packages.length >= DPKG_LIMITS.packages)
      throw new Error(`dpkg-query listed more than ${DPKG_LIMITS.packages} packages`);
    packages.push(pkg);
  }
  return packages;
}
