/**
 * The end of a cell's summary: links to its log, SBOM and artifacts, and the
 * artifacts that were not kept, each with why. Names come from the build and
 * are shown as code; links only when they are http(s) or a relative path.
 */
import { formatSize } from "./format.ts";
import { codeSpan, cut, escapeMarkdown } from "./markdown.ts";

export interface ArtifactLink {
  readonly name: string;
  readonly size: number;
  readonly url?: string;
}

/** A file the artifacts' globs named that was not kept. */
export interface RefusedArtifact {
  /** Relative to the repository (or the glob, when the glob itself was refused). */
  readonly path: string;
  /** heimdall-build's words: "a symbolic link: not followed". */
  readonly reason: string;
}

export interface CellLinks {
  readonly log?: string;
  readonly artifacts?: readonly ArtifactLink[];
  readonly sbom?: string;
  /** The build's compile_commands.json. */
  readonly compileCommands?: string;
  /** Artifacts refused by collection (links, too big, outside the workspace...). */
  readonly refused?: readonly RefusedArtifact[];
}

const MAX_ARTIFACTS = 20;
const MAX_REFUSED = 20;
/** Longest build-derived name shown whole. */
const MAX_NAME_CHARS = 200;
const MAX_REASON_CHARS = 300;
const MAX_URL_CHARS = 2048;

export function linksSection(links: CellLinks): string {
  const lines: string[] = [];
  const log = safeUrl(links.log);
  if (log) lines.push(`- [Build log](${log})`);
  const sbom = safeUrl(links.sbom);
  if (sbom) lines.push(`- [SBOM](${sbom}) (CycloneDX)`);
  const commands = safeUrl(links.compileCommands);
  if (commands) lines.push(`- [Compile commands](${commands}) (what each file was compiled with)`);
  const artifacts = links.artifacts ?? [];
  if (artifacts.length > 0) {
    lines.push(`- Artifacts (${artifacts.length}):`);
    for (const artifact of artifacts.slice(0, MAX_ARTIFACTS)) {
      const name = codeSpan(cut(artifact.name, MAX_NAME_CHARS));
      const url = safeUrl(artifact.url);
      lines.push(`  - ${url ? `[${name}](${url})` : name} — ${formatSize(artifact.size)}`);
    }
    if (artifacts.length > MAX_ARTIFACTS) lines.push(`  - ... and ${artifacts.length - MAX_ARTIFACTS} more`);
  }
  const sections: string[] = [];
  if (lines.length > 0) sections.push(["### Links", "", ...lines].join("\n"));
  const refused = refusedSection("Artifacts not kept", links.refused ?? []);
  if (refused) sections.push(refused);
  return sections.join("\n\n");
}

/**
 * Why each refused file was not kept (or read): the first 20, then a count. A
 * build that asked for its artifacts (or test reports) and got none learns why
 * here, not from the log.
 */
export function refusedSection(heading: string, refused: readonly RefusedArtifact[]): string {
  if (refused.length === 0) return "";
  const lines = refused
    .slice(0, MAX_REFUSED)
    .map((r) => `- ${codeSpan(cut(r.path, MAX_NAME_CHARS))} — ${escapeMarkdown(cut(r.reason, MAX_REASON_CHARS))}`);
  if (refused.length > MAX_REFUSED) lines.push(`- ... and ${refused.length - MAX_REFUSED} more`);
  return [`### ${heading} (${refused.length})`, "", ...lines].join("\n");
}

/**
 * An http(s) URL, or a relative path inside the summary's folder (a local
 * run's summary.md beside its log), that can stand as a markdown link
 * destination; else null.
 */
function safeUrl(url: string | undefined): string | null {
  if (!url || url.length > MAX_URL_CHARS) return null;
  if (/^[A-Za-z0-9_.-][^:]*$/.test(url) && !url.split("/").includes("..")) {
    // `&` too: markdown would read `&#58;` as a `:` (a scheme).
    return encodeURI(url).replace(/\(/g, "%28").replace(/\)/g, "%29").replace(/&/g, "%26");
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
  // href percent-encodes spaces, quotes, angle brackets and backticks; parentheses close a destination.
  return parsed.href.replace(/\(/g, "%28").replace(/\)/g, "%29");
}
