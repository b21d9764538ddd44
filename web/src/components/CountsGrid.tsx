/**
 * A build's cells as a mini grid in the builds list: one square a cell, in the
 * order failed, timed out, running, queued, waiting, passed with another
 * standard, passed, cancelled, skipped; its label says the counts.
 */
import Box from "@mui/material/Box";
import type { Build } from "../api/types.ts";
import { outcomeWord, toneOf } from "./outcome.ts";

const ORDER = [
  "failure",
  "timed_out",
  "in_progress",
  "queued",
  "waiting_approval",
  "action_required",
  "neutral",
  "success",
  "cancelled",
  "skipped",
] as const;

const MAX_SQUARES = 64;

export function CountsGrid({ counts }: { readonly counts: Build["cell_counts"] }) {
  const present = ORDER.filter((o) => counts[o] > 0);
  const label = `${counts.total} cells: ${present.map((o) => `${counts[o]} ${outcomeWord(o)}`).join(", ")}`;
  // Past MAX_SQUARES each square stands for several cells, so a 256-cell build stays one small block.
  const per = Math.max(1, Math.ceil(counts.total / MAX_SQUARES));
  const squares = present.flatMap((o) => Array.from({ length: Math.ceil(counts[o] / per) }, () => o));
  return (
    <Box
      role="img"
      aria-label={label}
      title={label}
      sx={{ display: "grid", gridTemplateColumns: "repeat(16, 8px)", gap: "2px", width: "max-content" }}
    >
      {squares.map((o, i) => (
        <Box
          // biome-ignore lint/suspicious/noArrayIndexKey: squares have no identity but their place
          key={i}
          sx={{
            width: 8,
            height: 8,
            borderRadius: "1px",
            bgcolor: (theme) => {
              const tone = toneOf(o);
              return tone === "default" ? theme.palette.action.disabled : theme.palette[tone].main;
            },
          }}
        />
      ))}
    </Box>
  );
}
