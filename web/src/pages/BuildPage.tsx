/** A build: what, where, its grid, a selected cell's attempts; live while it runs. */
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import LinearProgress from "@mui/material/LinearProgress";
import Link from "@mui/material/Link";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { lazy, Suspense } from "react";
import { useParams } from "react-router";
import type { BuildDetail } from "../api/types.ts";
import { MatrixGrid } from "../components/MatrixGrid.tsx";
import { OutcomeChip } from "../components/OutcomeChip.tsx";
import { buildOutcomeOf, outcomeWord } from "../components/outcome.ts";
import { ago, duration, shortSha } from "../format.ts";
import { useBuildEvents } from "../live.ts";
import { useApi } from "../use-api.ts";
import { BuildActions } from "./BuildActions.tsx";

// A cell's panel (its log, report, Markdown) loads when a cell is chosen: the grid comes first.
const CellPanel = lazy(() => import("./CellPanel.tsx").then((m) => ({ default: m.CellPanel })));

export function BuildPage() {
  const { id = "", "*": rest = "" } = useParams();
  // cells/<key>[/attempts/<n>]
  const chosen = /^cells\/([^/]+)(?:\/attempts\/(\d+))?\/?$/.exec(rest);
  const cellKey = chosen?.[1] ? decodeURIComponent(chosen[1]) : undefined;
  const attempt = chosen?.[2];
  const { data: build, error, loading, reload } = useApi<BuildDetail>(`/api/v1/builds/${encodeURIComponent(id)}`);
  useBuildEvents((event) => {
    if (event === null || event.id === id) reload();
  });
  if (error && !build) return <Alert severity="error">{error.message}</Alert>;
  if (!build) return <LinearProgress aria-label="Loading the build" />;
  const cell = cellKey ? build.cells.find((c) => c.key === cellKey) : undefined;
  const counts = build.cell_counts;
  const where = build.pull_request !== null ? `pull request #${build.pull_request}` : (build.branch ?? "");
  return (
    <Stack spacing={2}>
      <Box sx={{ minHeight: 4 }}>{loading && <LinearProgress aria-label="Refreshing" />}</Box>
      <Stack direction="row" spacing={2} sx={{ alignItems: "center" }}>
        <Typography variant="h5" component="h1">
          Build #{build.id}
        </Typography>
        <OutcomeChip outcome={buildOutcomeOf(build)} size="medium" />
      </Stack>
      <Typography>
        {build.repository} · {where} ·{" "}
        <Link href={build.commit_url}>
          <code>{shortSha(build.commit)}</code>
        </Link>{" "}
        ·{" "}
        {build.requested_by
          ? `asked for by ${build.requested_by} through the API`
          : `${build.event}${build.sender ? ` by ${build.sender}` : ""}`}{" "}
        · {ago(build.created_at)} · {duration(build.duration_ms)}
        {build.superseded_by && (
          <>
            {" "}
            · superseded by <Link href={`/builds/${build.superseded_by}`}>#{build.superseded_by}</Link>
          </>
        )}
        {build.cancelled_by && <> · cancelled by {build.cancelled_by}</>}
      </Typography>
      <Typography aria-label="Counts">
        {counts.total} cells:{" "}
        {(
          [
            "success",
            "neutral",
            "failure",
            "timed_out",
            "in_progress",
            "queued",
            "waiting_approval",
            "cancelled",
            "skipped",
          ] as const
        )
          .filter((o) => counts[o] > 0)
          .map((o) => `${counts[o]} ${outcomeWord(o)}`)
          .join(", ")}
      </Typography>
      <BuildActions build={build} cellKey={cell?.key} onDone={reload} />
      <Paper variant="outlined" sx={{ p: 2, overflowX: "auto" }}>
        <MatrixGrid buildId={build.id} cells={build.cells} selected={cell?.key} />
      </Paper>
      {cellKey && !cell && <Alert severity="warning">This build has no cell {cellKey}.</Alert>}
      {cell && (
        <Suspense fallback={<LinearProgress aria-label="Loading the cell" />}>
          <CellPanel
            build={build}
            cell={cell}
            attemptNumber={attempt ? Number(attempt) : undefined}
            onChanged={reload}
          />
        </Suspense>
      )}
    </Stack>
  );
}
