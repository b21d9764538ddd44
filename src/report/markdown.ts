/**
 * Untrusted text in GitHub markdown: whatever a build or a repository wrote
 * (test names, messages, output, paths, config keys) shown as itself, never as
 * markdown or HTML, so it cannot make a link, an image, a mention or markup.
 */

/**
 * Text rendered as itself in inline markdown: HTML characters as entities,
 * every other ASCII punctuation that markdown or GitHub's autolinks read
 * escaped, line breaks as spaces.
 */
export function escapeMarkdown(text: string): string {
  return clean(text)
    .replace(/[\r\n]+/g, " ")
    .replace(/[\\`*_{}[\]()#+\-.!|~:@$="'^]/g, "\\$&")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/** A markdown code span that shows `text` literally, whatever backticks it has; in a table, pipes escaped. */
export function codeSpan(text: string, inTable = false): string {
  const flat = clean(text).replace(/[\r\n]+/g, " ");
  if (flat.length === 0) return "(empty)";
  const fence = "`".repeat(longestRun(flat, "`") + 1);
  const pad = /^[` ]|[` ]$/.test(flat) ? " " : "";
  const span = `${fence}${pad}${flat}${pad}${fence}`;
  return inTable ? span.replace(/\|/g, "\\|") : span;
}

/** A `<code>` element for HTML contexts (a `<summary>`), where markdown is not read. */
export function htmlCode(text: string): string {
  const escaped = clean(text)
    .replace(/[\r\n]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
  return `<code>${escaped.length > 0 ? escaped : "(empty)"}</code>`;
}

/** A fenced code block no line of `text` can close. */
export function fenced(text: string): string {
  const fence = "`".repeat(Math.max(3, longestRun(text, "`") + 1));
  return `${fence}text\n${text}\n${fence}`;
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/** Without control characters (colour escapes, carriage returns) and bidirectional overrides. */
export function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, "");
}

/** At most `max` characters, with "..." when cut, never half a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 3;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}...`;
}
