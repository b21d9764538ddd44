/** ANSI styles for terminal reports: painted with colour on, the text untouched without. */
import { styleText } from "node:util";

export type Format = Parameters<typeof styleText>[0];
export type Paint = (format: Format, text: string) => string;

/** Never any escape code without `color`; with it, whatever the stream (the report is text, written later). */
export function painter(color: boolean): Paint {
  return color ? (format, text) => styleText(format, text, { validateStream: false }) : (_format, text) => text;
}
