/**
 * A build's cells as the matrix check draws them: a grid per build type,
 * compilers (with their variants) by standards, each cell a link with its
 * mark (the same marks and ≠ as the check, from the same model).
 */
import Box from "@mui/material/Box";
import Stack from "@mui/material/Stack";
import { alpha } from "@mui/material/styles";
import Typography from "@mui/material/Typography";
import { memo, useMemo } from "react";
import { Link as RouterLink } from "react-router";
import {
  entryOutcome,
  entrySymbol,
  MATRIX_LEGEND,
  type MatrixEntry,
  matrixGrids,
} from "../../../src/report/matrix-grid.ts";
import type { Cell } from "../api/types.ts";
import { outcomeWord, toneOf } from "./outcome.ts";

export interface GridEntry extends MatrixEntry {
  readonly cell: Cell;
}

export function gridEntries(cells: readonly Cell[]): GridEntry[] {
  return cells.map((cell) => ({
    cell,
    platform: cell.platform,
    compiler: cell.compiler,
    cxxStandard: cell.cxx_standard,
    cStandard: cell.c_standard,
    buildType: cell.build_type,
    tags: cell.variant,
    state: cell.state,
    conclusion: cell.conclusion,
    standardMismatch: cell.attempts.at(-1)?.standard_mismatch ?? false,
  }));
}

export function describeEntry(e: GridEntry): string {
  return `${e.cell.name}: ${outcomeWord(entryOutcome(e))}${e.state === "completed" && e.standardMismatch ? ", built with another standard" : ""}`;
}

export const MatrixGrid = memo(function MatrixGrid(props: {
  readonly buildId: string;
  readonly cells: readonly Cell[];
  readonly selected: string | undefined;
}) {
  const grids = useMemo(() => matrixGrids(gridEntries(props.cells)), [props.cells]);
  return (
    <Stack spacing={2}>
      {grids.map((grid) => (
        <Box
          key={grid.buildType}
          component="table"
          aria-label={`Cells, ${grid.buildType}`}
          sx={{ borderCollapse: "collapse", "& th, & td": { border: 1, borderColor: "divider", px: 1, py: 0.5 } }}
        >
          <thead>
            <tr>
              <Box component="th" scope="col" sx={{ textAlign: "left" }}>
                {grid.buildType}
              </Box>
              {grid.standards.map((s) => (
                <th key={s} scope="col">
                  {s.toUpperCase()}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {grid.rows.map((row) => (
              <tr key={row.label}>
                <Box component="th" scope="row" sx={{ textAlign: "left", fontWeight: "normal", whiteSpace: "nowrap" }}>
                  {row.label}
                </Box>
                {row.places.map((place, i) => (
                  <Box component="td" key={grid.standards[i]} sx={{ textAlign: "center" }}>
                    {place.map((e) => (
                      <Box
                        component={RouterLink}
                        key={e.cell.key}
                        to={`/builds/${props.buildId}/cells/${encodeURIComponent(e.cell.key)}`}
                        aria-label={describeEntry(e)}
                        title={describeEntry(e)}
                        aria-current={props.selected === e.cell.key ? "true" : undefined}
                        data-cell={e.cell.key}
                        data-outcome={entryOutcome(e)}
                        sx={{
                          display: "inline-block",
                          px: 0.5,
                          borderRadius: 1,
                          textDecoration: "none",
                          outline: props.selected === e.cell.key ? 2 : 0,
                          outlineColor: "primary.main",
                          // The mark's colour too: it reads without an emoji font, and at a glance.
                          bgcolor: (theme) => {
                            const tone = toneOf(entryOutcome(e));
                            return tone === "default"
                              ? theme.palette.action.hover
                              : alpha(theme.palette[tone].main, 0.18);
                          },
                        }}
                      >
                        {entrySymbol(e)}
                      </Box>
                    ))}
                  </Box>
                ))}
              </tr>
            ))}
          </tbody>
        </Box>
      ))}
      <Typography variant="caption" color="text.secondary">
        {MATRIX_LEGEND.map(([mark, meaning]) => `${mark} ${meaning}`).join(" · ")}
      </Typography>
    </Stack>
  );
});
