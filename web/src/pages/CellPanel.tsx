/** The selected cell: why it was skipped, or its attempts (newest first) with the chosen one's figures and log. */
import Alert from "@mui/material/Alert";
import LinearProgress from "@mui/material/LinearProgress";
import Link from "@mui/material/Link";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Tab from "@mui/material/Tab";
import Tabs from "@mui/material/Tabs";
import Typography from "@mui/material/Typography";
import { lazy, Suspense } from "react";
import { useNavigate } from "react-router";
import type { Attempt, BuildDetail, Cell, CellReport } from "../api/types.ts";
import { OutcomeChip } from "../components/OutcomeChip.tsx";
import { duration } from "../format.ts";
import { useApi } from "../use-api.ts";
import { annotationAnchor, CellReportView } from "./CellReport.tsx";

// The log viewer (virtual rows, ANSI) loads when a cell is first opened.
const LogViewer = lazy(() => import("../log/LogViewer.tsx").then((m) => ({ default: m.LogViewer })));

export function CellPanel(props: {
  readonly build: BuildDetail;
  readonly cell: Cell;
  readonly attemptNumber: number | undefined;
  readonly onChanged: () => void;
}) {
  const { build, cell } = props;
  const navigate = useNavigate();
  const attempt = cell.attempts.find((a) => a.number === props.attemptNumber) ?? cell.attempts.at(-1);
  const base = `/builds/${build.id}/cells/${encodeURIComponent(cell.key)}`;
  const report = useApi<CellReport>(
    attempt?.state === "completed"
      ? `/api/v1/builds/${build.id}/cells/${encodeURIComponent(cell.key)}/report?attempt=${attempt.number}`
      : null,
  );
  return (
    <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-label={`Cell ${cell.name}`}>
      <Stack spacing={1}>
        <Typography variant="h6" component="h2">
          {cell.name}
        </Typography>
        {cell.skip_reason && <Alert severity="info">Skipped: {cell.skip_reason}</Alert>}
        {cell.attempts.length > 1 && (
          <Tabs
            value={attempt?.number ?? false}
            onChange={(_event, number: number) => navigate(`${base}/attempts/${number}`)}
            aria-label="Attempts"
          >
            {cell.attempts.map((a) => (
              <Tab key={a.id} value={a.number} label={`Attempt ${a.number}`} />
            ))}
          </Tabs>
        )}
        {attempt && <AttemptFacts attempt={attempt} />}
        {attempt?.state === "completed" && (
          <CellReportView buildId={build.id} cellKey={cell.key} attempt={attempt.number} report={report.data} />
        )}
        {attempt && (attempt.state === "in_progress" || attempt.state === "completed") && (
          <Suspense fallback={<LinearProgress aria-label="Loading the log viewer" />}>
            <LogViewer
              key={`${attempt.id}-${attempt.state}`}
              url={attempt.log_url}
              live={attempt.state === "in_progress"}
              annotations={(report.data?.annotations ?? []).map((a, index) => ({
                path: a.path,
                line: a.start_line,
                anchor: annotationAnchor(index),
              }))}
              onEnded={props.onChanged}
            />
          </Suspense>
        )}
      </Stack>
    </Paper>
  );
}

function AttemptFacts({ attempt }: { readonly attempt: Attempt }) {
  const outcome = attempt.state === "completed" ? attempt.conclusion : attempt.state;
  return (
    <Stack spacing={1} aria-label={`Attempt ${attempt.number}`}>
      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
        <OutcomeChip outcome={outcome} />
        {attempt.title && <Typography>{attempt.title}</Typography>}
      </Stack>
      <Typography variant="body2">
        {[
          attempt.worker ? `on ${attempt.worker}` : null,
          `waited ${duration(attempt.queue_wait_ms)}`,
          attempt.duration_ms !== null ? `ran ${duration(attempt.duration_ms)}` : null,
          attempt.errors !== null ? `${attempt.errors} errors` : null,
          attempt.warnings !== null ? `${attempt.warnings} warnings` : null,
          attempt.tests
            ? `tests: ${attempt.tests.passed} passed, ${attempt.tests.failed} failed, ${attempt.tests.skipped} skipped`
            : null,
          attempt.standard_mismatch ? "built with another standard than its name says" : null,
        ]
          .filter(Boolean)
          .join(" · ")}
      </Typography>
      <Stack direction="row" spacing={2}>
        <Link href={attempt.log_url}>Raw log</Link>
        {attempt.check_run_url && <Link href={attempt.check_run_url}>Check run on GitHub</Link>}
      </Stack>
    </Stack>
  );
}
