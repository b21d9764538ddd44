/**
 * A build's cells as the matrix check draws them: a grid per build type,
 * compilers (with their variants) by standards, each cell a link with its
 * mark (the same marks and ≠ as the check, from the same model).
 */
import Box from "@mui/material/Box";
import Stack from "@mui/material/Stack";
import { alpha, type Theme } from "@mui/material/styles";
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

/**
 * Plain table elements styled once from the table (attribute selectors), not a
 * styled component a cell: a 256-cell grid is 256 links, drawn in one pass.
 */
const GRID_SX = {
  borderCollapse: "collapse",
  "& th, & td": { border: 1, borderColor: "divider", px: 1, py: 0.5 },
  "& th": { textAlign: "left", fontWeight: "normal", whiteSpace: "nowrap" },
  "& thead th": { fontWeight: "bold" },
  "& td": { textAlign: "center" },
  "& a": { display: "inline-block", px: 0.5, mx: 0.25, borderRadius: 1, textDecoration: "none", color: "inherit" },
  "& a[aria-current='true']": { outline: 2, outlineStyle: "solid", outlineColor: "primary.main" },
  // The mark's colour too: it reads without an emoji font, and at a glance.
  "& a[data-tone='success']": { bgcolor: (t: Theme) => alpha(t.palette.success.main, 0.18) },
  "& a[data-tone='error']": { bgcolor: (t: Theme) => alpha(t.palette.error.main, 0.18) },
  "& a[data-tone='warning']": { bgcolor: (t: Theme) => alpha(t.palette.warning.main, 0.18) },
  "& a[data-tone='info']": { bgcolor: (t: Theme) => alpha(t.palette.info.main, 0.18) },
  "& a[data-tone='default']": { bgcolor: "action.hover" },
} as const;

export const MatrixGrid = memo(function MatrixGrid(props: {
  readonly buildId: string;
  readonly cells: readonly Cell[];
  readonly selected: string | undefined;
}) {
  const grids = useMemo(() => matrixGrids(gridEntries(props.cells)), [props.cells]);
  return (
    <Stack spacing={2}>
      {grids.map((grid) => (
        <Box key={grid.buildType} component="table" aria-label={`Cells, ${grid.buildType}`} sx={GRID_SX}>
          <thead>
            <tr>
              <th scope="col">{grid.buildType}</th>
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
                <th scope="row">{row.label}</th>
                {row.places.map((place, i) => (
                  <td key={grid.standards[i]}>
                    {place.map((e) => {
                      const outcome = entryOutcome(e);
                      const label = describeEntry(e);
                      return (
                        <RouterLink
                          key={e.cell.key}
                          to={`/builds/${props.buildId}/cells/${encodeURIComponent(e.cell.key)}`}
                          aria-label={label}
                          title={label}
                          aria-current={props.selected === e.cell.key ? "true" : undefined}
                          data-cell={e.cell.key}
                          data-outcome={outcome}
                          data-tone={toneOf(outcome)}
                        >
                          {entrySymbol(e)}
                        </RouterLink>
                      );
                    })}
                  </td>
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
