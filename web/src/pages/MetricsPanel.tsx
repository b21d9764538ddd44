/** The plan's success metrics over the last `days`: figures, charts over time (MUI X Charts), per platform and compiler. */
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import LinearProgress from "@mui/material/LinearProgress";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Typography from "@mui/material/Typography";
import { LineChart } from "@mui/x-charts/LineChart";
import { useMemo } from "react";
import type { MetricsAnswer } from "../api/types.ts";
import { duration } from "../format.ts";
import { useApi } from "../use-api.ts";

type Figures = MetricsAnswer["overall"];

const percent = (rate: number | null) => (rate === null ? "—" : `${(rate * 100).toFixed(1)} %`);

export function MetricsPanel({ days }: { readonly days: number }) {
  // One window per page view: its start fixed when the window is chosen, not at every render.
  const path = useMemo(() => {
    const since = new Date(Date.now() - days * 24 * 3600_000).toISOString();
    const buckets = days === 1 ? 24 : days <= 7 ? days * 2 : days;
    return `/api/v1/metrics?since=${encodeURIComponent(since)}&buckets=${buckets}`;
  }, [days]);
  const { data, error, loading } = useApi<MetricsAnswer>(path);
  if (error) return <Alert severity="error">{error.message}</Alert>;
  if (!data) return loading ? <LinearProgress aria-label="Loading the metrics" /> : null;
  const o = data.overall;
  const series = data.series ?? [];
  const at = series.map((part) => new Date(part.until));
  return (
    <Stack spacing={2} component="section" aria-label="Success metrics">
      <Stack direction="row" spacing={2} sx={{ flexWrap: "wrap" }} aria-label="Figures" role="list">
        <Figure
          label="Build time"
          value={`${duration(o.build_time.avg_ms === null ? null : Math.round(o.build_time.avg_ms))} avg · ${duration(o.build_time.p95_ms === null ? null : Math.round(o.build_time.p95_ms))} p95`}
        />
        <Figure
          label="Queue wait"
          value={`${duration(o.queue_wait.avg_ms === null ? null : Math.round(o.queue_wait.avg_ms))} avg · ${duration(o.queue_wait.p95_ms === null ? null : Math.round(o.queue_wait.p95_ms))} p95`}
        />
        <Figure label="Success rate" value={`${percent(o.success_rate)} of ${o.attempts}`} />
        <Figure label="Test pass rate" value={`${percent(o.tests.pass_rate)} of ${o.tests.passed + o.tests.failed}`} />
      </Stack>
      {series.length > 0 && (
        <Stack direction={{ xs: "column", lg: "row" }} spacing={2}>
          <Chart
            title="Success and test pass rates (%)"
            at={at}
            lines={[
              {
                label: "success rate",
                data: series.map((p) => (p.success_rate === null ? null : p.success_rate * 100)),
              },
              {
                label: "test pass rate",
                data: series.map((p) => (p.tests.pass_rate === null ? null : p.tests.pass_rate * 100)),
              },
            ]}
          />
          <Chart
            title="Build time and queue wait (minutes, p95)"
            at={at}
            lines={[
              {
                label: "build time p95",
                data: series.map((p) => (p.build_time.p95_ms === null ? null : p.build_time.p95_ms / 60_000)),
              },
              {
                label: "queue wait p95",
                data: series.map((p) => (p.queue_wait.p95_ms === null ? null : p.queue_wait.p95_ms / 60_000)),
              },
            ]}
          />
        </Stack>
      )}
      <Breakdown title="Per platform" rows={data.platforms.map((p) => [p.platform, p])} />
      <Breakdown title="Per compiler" rows={data.compilers.map((c) => [c.compiler, c])} />
    </Stack>
  );
}

function Figure({ label, value }: { readonly label: string; readonly value: string }) {
  return (
    <Paper variant="outlined" sx={{ p: 2, minWidth: 220 }} role="listitem" aria-label={label}>
      <Typography variant="body2" color="text.secondary">
        {label}
      </Typography>
      <Typography variant="h6" component="p">
        {value}
      </Typography>
    </Paper>
  );
}

function Chart(props: {
  readonly title: string;
  readonly at: readonly Date[];
  readonly lines: readonly { label: string; data: (number | null)[] }[];
}) {
  return (
    <Paper variant="outlined" sx={{ p: 2, flex: 1 }} component="figure" aria-label={props.title}>
      <Typography variant="subtitle2" component="figcaption">
        {props.title}
      </Typography>
      <Box sx={{ height: 260 }}>
        <LineChart
          xAxis={[{ data: [...props.at], scaleType: "time" }]}
          series={props.lines.map((line) => ({
            label: line.label,
            data: line.data,
            connectNulls: true,
            showMark: false,
          }))}
          height={260}
        />
      </Box>
    </Paper>
  );
}

function Breakdown({
  title,
  rows,
}: {
  readonly title: string;
  readonly rows: readonly (readonly [string, Figures])[];
}) {
  if (rows.length === 0) return null;
  return (
    <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-label={title}>
      <Typography variant="subtitle1" component="h3">
        {title}
      </Typography>
      <Table size="small" aria-label={title}>
        <TableHead>
          <TableRow>
            <TableCell />
            <TableCell>Attempts</TableCell>
            <TableCell>Success rate</TableCell>
            <TableCell>Test pass rate</TableCell>
            <TableCell>Build time avg / p95</TableCell>
            <TableCell>Queue wait avg / p95</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map(([name, m]) => (
            <TableRow key={name}>
              <TableCell component="th" scope="row">
                {name}
              </TableCell>
              <TableCell>{m.attempts}</TableCell>
              <TableCell>{percent(m.success_rate)}</TableCell>
              <TableCell>{percent(m.tests.pass_rate)}</TableCell>
              <TableCell>
                {duration(m.build_time.avg_ms === null ? null : Math.round(m.build_time.avg_ms))} /{" "}
                {duration(m.build_time.p95_ms === null ? null : Math.round(m.build_time.p95_ms))}
              </TableCell>
              <TableCell>
                {duration(m.queue_wait.avg_ms === null ? null : Math.round(m.queue_wait.avg_ms))} /{" "}
                {duration(m.queue_wait.p95_ms === null ? null : Math.round(m.queue_wait.p95_ms))}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Paper>
  );
}
