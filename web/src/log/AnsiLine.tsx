/**
 * One log line with its ANSI colours, as React text (never HTML: a log is
 * untrusted). anser reads the escapes; bold, italic and underline are kept.
 */
import Anser from "anser";
import { memo } from "react";

/**
 * The 16 standard colours as anser gives them, drawn in shades that keep 4.5:1
 * on the log's dark background (WCAG AA); 256-colour and true-colour escapes are
 * drawn as asked.
 */
const READABLE: Readonly<Record<string, string>> = {
  "0, 0, 0": "#9e9e9e",
  "187, 0, 0": "#f26d6d",
  "0, 187, 0": "#4ec94e",
  "187, 187, 0": "#d7d74a",
  "0, 0, 187": "#7aa7ff",
  "187, 0, 187": "#e07ae0",
  "0, 187, 187": "#3fc9c9",
  "187, 187, 187": "#cccccc",
  "85, 85, 85": "#a6a6a6",
  "255, 85, 85": "#ff8080",
  "0, 255, 0": "#66ff66",
  "85, 255, 85": "#66ff66",
  "255, 255, 85": "#ffff73",
  "85, 85, 255": "#99b3ff",
  "255, 85, 255": "#ff88ff",
  "85, 255, 255": "#7fffff",
  "255, 255, 255": "#ffffff",
};

export function foreground(rgb: string): string {
  return READABLE[rgb] ?? `rgb(${rgb})`;
}

export const AnsiLine = memo(function AnsiLine({
  text,
  highlight,
}: {
  readonly text: string;
  readonly highlight?: string;
}) {
  const parts = Anser.ansiToJson(text, { json: true, remove_empty: true, use_classes: false });
  return (
    <>
      {parts.map((part, index) => {
        const style: React.CSSProperties = {};
        if (part.fg) style.color = foreground(part.fg);
        if (part.bg) style.backgroundColor = `rgb(${part.bg})`;
        if (part.decorations.includes("bold")) style.fontWeight = 700;
        if (part.decorations.includes("italic")) style.fontStyle = "italic";
        if (part.decorations.includes("underline")) style.textDecoration = "underline";
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: a line's parts are fixed once read
          <span key={index} style={style}>
            {highlight ? <Marked text={part.content} query={highlight} /> : part.content}
          </span>
        );
      })}
    </>
  );
});

function Marked({ text, query }: { readonly text: string; readonly query: string }) {
  const lower = text.toLowerCase();
  const needle = query.toLowerCase();
  const pieces: React.ReactNode[] = [];
  let from = 0;
  for (let at = lower.indexOf(needle); at >= 0 && needle; at = lower.indexOf(needle, from)) {
    pieces.push(text.slice(from, at), <mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
  }
  pieces.push(text.slice(from));
  return <>{pieces}</>;
}
