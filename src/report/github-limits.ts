/**
 * GitHub's limits on what a check run says, and the one place text is cut to
 * them. GitHub answers a body past any limit with 422, and a refused write
 * leaves the commit without its check (the configuration check is written
 * once), so every body the app sends passes through `fitCheckRun` last.
 *
 * Sizes are counted in UTF-8 bytes: GitHub documents the summary as "65535
 * characters" but refuses with "summary exceeds a maximum bytesize of 65535",
 * and a matrix summary is mostly emoji (4 bytes each). A byte bound is also a
 * bound on characters and on UTF-16 units. Text is made well-formed first (a
 * lone surrogate becomes U+FFFD) and never cut inside a surrogate pair.
 * Whatever is cut says so, and how much.
 */

export const GITHUB_LIMITS = {
  /** output.summary and output.text: 65535 (GitHub checks bytes). */
  summaryBytes: 65_535,
  textBytes: 65_535,
  /** output.title: GitHub documents no limit; one line of 255 is safe and all the UI shows. */
  titleBytes: 255,
  /** The check run's name and external_id: not documented; held to 255. */
  nameBytes: 255,
  externalIdBytes: 255,
  /** An annotation's message and raw_details: "64 KB", held one byte under like the summary's. */
  annotationTextBytes: 65_535,
  /** An annotation's title: 255 characters, held to 255 bytes. */
  annotationTitleBytes: 255,
  annotationsPerRequest: 50,
  /** A requested action's label, description and identifier (the schema's maxLength). */
  actionLabel: 20,
  actionDescription: 40,
  actionIdentifier: 20,
} as const;

const encoder = new TextEncoder();

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** The longest prefix of `text` within `maxBytes` of UTF-8, whole code points only. */
export function cutToBytes(text: string, maxBytes: number): string {
  const well = text.toWellFormed();
  if (utf8Bytes(well) <= maxBytes) return well;
  if (maxBytes <= 0) return "";
  // encodeInto writes whole code points only: `read` never ends inside a surrogate pair.
  const { read } = encoder.encodeInto(well, new Uint8Array(maxBytes));
  return well.slice(0, read);
}

/** Code points in `text` (what a person calls characters, near enough). */
function characters(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** One line (a title, a name): within `maxBytes`, ending in "…" when cut. */
export function fitLine(text: string, maxBytes: number): string {
  const well = text.toWellFormed();
  if (utf8Bytes(well) <= maxBytes) return well;
  return `${cutToBytes(well, maxBytes - utf8Bytes("…")).trimEnd()}…`;
}

/** Plain text (an annotation's message): within `maxBytes`, with a last line saying how much was cut. */
export function fitText(text: string, maxBytes: number): string {
  const well = text.toWellFormed();
  if (utf8Bytes(well) <= maxBytes) return well;
  const note = (n: number) => `\n[… ${formatCount(n)} more characters not shown]`;
  if (utf8Bytes(note(characters(well))) >= maxBytes) return cutToBytes(well, maxBytes);
  const kept = cutToBytes(well, maxBytes - utf8Bytes(note(characters(well))));
  return `${kept}${note(characters(well.slice(kept.length)))}`;
}

export interface MarkdownCut {
  /** Names the field in the note: "summary". */
  readonly what: string;
}

/** How far back a cut moves to a line end. */
const LINE_BACKTRACK_BYTES = 4096;

/**
 * Markdown within `maxBytes`: cut at a line end where one is near, a code fence
 * or `<details>` the cut left open closed, then a paragraph saying what was cut:
 * "(summary cut at 65,535 bytes: 1,234 characters not shown)".
 */
export function fitMarkdown(text: string, maxBytes: number, cut: MarkdownCut): string {
  const well = text.toWellFormed();
  if (utf8Bytes(well) <= maxBytes) return well;
  const note = (n: number) =>
    `\n\n(${cut.what} cut at ${formatCount(maxBytes)} bytes: ${formatCount(n)} characters not shown)`;
  // The count shown is at most the whole text's: its digits bound the note's size.
  const budget = maxBytes - utf8Bytes(note(characters(well)));
  if (budget <= 0) return cutToBytes(well, maxBytes);
  // Back to the last line end when it is near: a dropped line reads better than half of one.
  const toLineEnd = (text: string) => {
    const at = text.lastIndexOf("\n");
    return at >= 0 && utf8Bytes(text.slice(at)) <= LINE_BACKTRACK_BYTES ? text.slice(0, at) : text;
  };
  let kept = toLineEnd(cutToBytes(well, budget));
  let closers = "";
  for (let round = 0; ; round++) {
    const open = openConstructs(kept);
    closers = `${open.fence ? `\n${open.fence}` : ""}${"\n</details>".repeat(open.details)}`;
    const closersBytes = utf8Bytes(closers);
    if (utf8Bytes(kept) + closersBytes <= budget) break;
    if (round < 3 && closersBytes <= budget / 4) {
      // Room for the closers.
      kept = toLineEnd(cutToBytes(kept, budget - closersBytes));
    } else if (round < 3 && open.fence && open.fenceStart > 0) {
      // A fence too long to close: the text before it.
      kept = kept.slice(0, open.fenceStart);
    } else {
      closers = "";
      kept = cutToBytes(kept, budget);
      break;
    }
  }
  return `${kept}${closers}${note(characters(well.slice(kept.length)))}`;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** The code fence left open at the end of `markdown` (its opening run and where its line starts), and `<details>` left open. */
function openConstructs(markdown: string): { fence: string | null; fenceStart: number; details: number } {
  let fence: string | null = null;
  let fenceStart = 0;
  let details = 0;
  let at = 0;
  for (const line of markdown.split("\n")) {
    const run = FENCE.exec(line)?.[1];
    if (fence !== null) {
      // A closing fence: the same character, at least as long, nothing after it.
      if (run && run[0] === fence[0] && run.length >= fence.length && line.trim() === run) fence = null;
    } else if (run && !(run[0] === "`" && line.slice(line.indexOf(run) + run.length).includes("`"))) {
      fence = run;
      fenceStart = at;
    } else {
      details += (line.match(/<details[\s>]/g) ?? []).length;
      details = Math.max(0, details - (line.match(/<\/details>/g) ?? []).length);
    }
    at += line.length + 1;
  }
  return { fence, fenceStart, details };
}

/**
 * Lines joined while they fit in `maxBytes`; when some do not, the last line is
 * `more(n)` for the n left out ("… 37 more problems not shown").
 */
export function fitLines(lines: readonly string[], maxBytes: number, more: (left: number) => string): string {
  const all = lines.join("\n");
  if (utf8Bytes(all) <= maxBytes) return all;
  const tail = (n: number) => `\n${more(n)}`;
  // The digits of the whole count bound the tail's size.
  const budget = maxBytes - utf8Bytes(tail(lines.length));
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const size = utf8Bytes(line) + (kept.length > 0 ? 1 : 0);
    if (used + size > budget) break;
    kept.push(line);
    used += size;
  }
  const text = `${kept.join("\n")}${tail(lines.length - kept.length)}`;
  return kept.length === 0 ? cutToBytes(text.slice(1), maxBytes) : text;
}

/** What an annotation has that GitHub bounds. */
interface AnnotationText {
  message: string;
  title?: string;
  raw_details?: string;
  start_line?: number;
  end_line?: number;
  start_column?: number;
  end_column?: number;
}

/**
 * An annotation GitHub takes: message and raw_details cut with a note, title
 * cut, an empty message filled, lines from 1 with the end not before the start,
 * columns only on a one-line annotation.
 */
export function fitAnnotation<A extends AnnotationText>(annotation: A): A {
  const { start_column: _start, end_column: _end, ...rest } = annotation;
  const message = fitText(annotation.message, GITHUB_LIMITS.annotationTextBytes);
  const start = annotation.start_line === undefined ? undefined : Math.max(1, Math.trunc(annotation.start_line));
  const end = annotation.end_line === undefined ? undefined : Math.max(start ?? 1, Math.trunc(annotation.end_line));
  const oneLine = start !== undefined && start === end;
  const startColumn =
    oneLine && annotation.start_column !== undefined ? Math.max(1, Math.trunc(annotation.start_column)) : undefined;
  const endColumn =
    oneLine && annotation.end_column !== undefined
      ? Math.max(startColumn ?? 1, Math.trunc(annotation.end_column))
      : undefined;
  return {
    ...rest,
    // GitHub refuses an empty message.
    message: message.trim() === "" ? "(no message)" : message,
    ...(start !== undefined ? { start_line: start } : {}),
    ...(end !== undefined ? { end_line: end } : {}),
    ...(startColumn !== undefined ? { start_column: startColumn } : {}),
    ...(endColumn !== undefined ? { end_column: endColumn } : {}),
    ...(annotation.title !== undefined ? { title: fitLine(annotation.title, GITHUB_LIMITS.annotationTitleBytes) } : {}),
    ...(annotation.raw_details !== undefined
      ? { raw_details: fitText(annotation.raw_details, GITHUB_LIMITS.annotationTextBytes) }
      : {}),
  } as A;
}

/** The parts of a create or update request GitHub bounds. */
export interface CheckRunText {
  name?: string;
  external_id?: string;
  output?: { title: string; summary: string; text?: string; annotations?: AnnotationText[] };
  actions?: { label: string; description: string; identifier: string }[];
}

/**
 * A check run's create or update body within every limit GitHub has: name,
 * external_id, title, summary, text, annotations (at most 50: callers batch the
 * rest into further updates) and actions.
 */
export function fitCheckRun<B extends CheckRunText>(body: B): B {
  const { output, actions } = body;
  return {
    ...body,
    ...(body.name !== undefined ? { name: fitLine(body.name, GITHUB_LIMITS.nameBytes) } : {}),
    ...(body.external_id !== undefined
      ? { external_id: fitLine(body.external_id, GITHUB_LIMITS.externalIdBytes) }
      : {}),
    ...(output
      ? {
          output: {
            ...output,
            title: fitLine(output.title, GITHUB_LIMITS.titleBytes),
            summary: fitMarkdown(output.summary, GITHUB_LIMITS.summaryBytes, { what: "summary" }),
            ...(output.text !== undefined
              ? { text: fitMarkdown(output.text, GITHUB_LIMITS.textBytes, { what: "text" }) }
              : {}),
            ...(output.annotations
              ? { annotations: output.annotations.slice(0, GITHUB_LIMITS.annotationsPerRequest).map(fitAnnotation) }
              : {}),
          },
        }
      : {}),
    ...(actions
      ? {
          actions: actions.map((a) => ({
            ...a,
            label: cutToChars(a.label, GITHUB_LIMITS.actionLabel),
            description: cutToChars(a.description, GITHUB_LIMITS.actionDescription),
            identifier: cutToChars(a.identifier, GITHUB_LIMITS.actionIdentifier),
          })),
        }
      : {}),
  };
}

/** At most `max` code points (the schema's maxLength counts them). */
function cutToChars(text: string, max: number): string {
  return Array.from(text.toWellFormed()).slice(0, max).join("");
}
