import Chip from "@mui/material/Chip";
import { outcomeWord, toneOf } from "./outcome.ts";

export function OutcomeChip({
  outcome,
  size = "small",
}: {
  readonly outcome: string | null;
  readonly size?: "small" | "medium";
}) {
  const tone = toneOf(outcome);
  return (
    <Chip size={size} label={outcomeWord(outcome)} color={tone} variant={tone === "info" ? "outlined" : "filled"} />
  );
}
