/**
 * The farm's status: what it stands on (each answering or not, and how fast),
 * the webhook inbox, the workers with their heartbeats, and the plan's success
 * metrics over a window, as figures, charts over time and per platform and compiler.
 */
import Alert from "@mui/material/Alert";
import Chip from "@mui/material/Chip";
import LinearProgress from "@mui/material/LinearProgress";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import ToggleButton from "@mui/material/ToggleButton";
import ToggleButtonGroup from "@mui/material/ToggleButtonGroup";
import Typography from "@mui/material/Typography";
import { useSearchParams } from "react-router";
import type { StatusAnswer } from "../api/types.ts";
import { ago } from "../format.ts";
import { useApi } from "../use-api.ts";
import { MetricsPanel } from "./MetricsPanel.tsx";

export const WINDOWS = { "1d": 1, "7d": 7, "30d": 30 } as const;

export function StatusPage() {
  const [params, setParams] = useSearchParams();
  const window = (params.get("window") ?? "7d") as keyof typeof WINDOWS;
  const days = WINDOWS[window] ?? 7;
  const status = useApi<StatusAnswer>("/api/v1/status");
  const s = status.data;
  return (
    <Stack spacing={2}>
      <Typography variant="h5" component="h1">
        Status
      </Typography>
      {status.error && <Alert severity="error">{status.error.message}</Alert>}
      {status.loading && !s && <LinearProgress aria-label="Loading the status" />}
      {s && (
        <>
          <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-label="Components">
            <Typography variant="h6" component="h2">
              {s.ok ? "Everything answers" : "Something does not answer"} · heimdall-build {s.version}
            </Typography>
            <Table size="small" aria-label="Components">
              <TableBody>
                <Component name="PostgreSQL" probe={s.postgres} />
                <Component name="Redis" probe={s.redis} />
                <Component name={`Object store (${s.object_store.kind})`} probe={s.object_store} />
                <Component name={`GitHub (${s.github.api_url})`} probe={s.github} />
                <TableRow>
                  <TableCell component="th" scope="row">
                    Webhook inbox
                  </TableCell>
                  <TableCell colSpan={2}>
                    {s.webhooks
                      ? `${s.webhooks.waiting} waiting, ${s.webhooks.failed} given up${s.webhooks.oldest_waiting ? `; the oldest arrived ${ago(s.webhooks.oldest_waiting)}` : ""}`
                      : "unknown while PostgreSQL does not answer"}
                  </TableCell>
                </TableRow>
              </TableBody>
            </Table>
          </Paper>
          <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-label="Workers">
            <Typography variant="h6" component="h2">
              Workers: {s.workers.length}
            </Typography>
            {s.workers.length === 0 ? (
              <Typography>No worker has beaten lately.</Typography>
            ) : (
              <Table size="small" aria-label="Workers">
                <TableHead>
                  <TableRow>
                    <TableCell>Worker</TableCell>
                    <TableCell>Host</TableCell>
                    <TableCell>Platform</TableCell>
                    <TableCell>Executor</TableCell>
                    <TableCell>Running</TableCell>
                    <TableCell>Last heartbeat</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {s.workers.map((w) => (
                    <TableRow key={w.name} data-worker={w.name}>
                      <TableCell>{w.name}</TableCell>
                      <TableCell>{w.host}</TableCell>
                      <TableCell>{w.platform}</TableCell>
                      <TableCell>{w.executor}</TableCell>
                      <TableCell>
                        {w.running.length} of {w.concurrency}
                        {w.running.length > 0 && `: ${w.running.map((r) => r.cell).join(", ")}`}
                      </TableCell>
                      <TableCell>
                        {ago(w.last_seen)} {w.stale && <Chip size="small" color="error" label="missed 3 heartbeats" />}
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            )}
          </Paper>
        </>
      )}
      <Stack direction="row" spacing={2} sx={{ alignItems: "center" }}>
        <Typography variant="h6" component="h2">
          Success metrics
        </Typography>
        <ToggleButtonGroup
          size="small"
          exclusive
          value={window}
          aria-label="Window"
          onChange={(_event, value: string | null) => {
            if (value) setParams({ window: value });
          }}
        >
          {Object.keys(WINDOWS).map((w) => (
            <ToggleButton key={w} value={w}>
              last {w}
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
      </Stack>
      <MetricsPanel days={days} />
    </Stack>
  );
}

function Component(props: {
  readonly name: string;
  readonly probe: { ok: boolean; latency_ms: number; error?: string | undefined };
}) {
  return (
    <TableRow data-component={props.name}>
      <TableCell component="th" scope="row">
        {props.name}
      </TableCell>
      <TableCell>
        <Chip
          size="small"
          color={props.probe.ok ? "success" : "error"}
          label={props.probe.ok ? "answers" : "does not answer"}
        />
      </TableCell>
      <TableCell>{props.probe.ok ? `${props.probe.latency_ms} ms` : props.probe.error}</TableCell>
    </TableRow>
  );
}
