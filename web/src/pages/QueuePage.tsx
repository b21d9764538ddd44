/** The queue: per platform, the cells waiting (and why) and those running, on which worker; waits tick on. */
import Alert from "@mui/material/Alert";
import Chip from "@mui/material/Chip";
import LinearProgress from "@mui/material/LinearProgress";
import Link from "@mui/material/Link";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Typography from "@mui/material/Typography";
import { useEffect, useState } from "react";
import { Link as RouterLink } from "react-router";
import type { QueueAnswer } from "../api/types.ts";
import { duration } from "../format.ts";
import { useBuildEvents } from "../live.ts";
import { useApi } from "../use-api.ts";

/** Now, once a second: waits and run times move on between answers. */
function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function QueuePage() {
  const { data, error, loading, reload } = useApi<QueueAnswer>("/api/v1/queue");
  useBuildEvents(() => reload());
  const now = useNow();
  // The answer's waits are to the server's `at`; the time since the answer came is added.
  const since = data ? Math.max(0, now - Date.parse(data.at)) : 0;
  return (
    <Stack spacing={2}>
      <Typography variant="h5" component="h1">
        Queue
      </Typography>
      {error && <Alert severity="error">{error.message}</Alert>}
      {loading && !data && <LinearProgress aria-label="Loading the queue" />}
      {data && data.platforms.length === 0 && <Typography>Nothing waits and nothing runs.</Typography>}
      {data?.platforms.map((p) => (
        <Paper
          key={p.platform}
          variant="outlined"
          sx={{ p: 2 }}
          component="section"
          aria-label={`Platform ${p.platform}`}
        >
          <Typography variant="h6" component="h2">
            {p.platform}: {p.waiting.length} waiting, {p.running.length} running
          </Typography>
          {p.running.length > 0 && (
            <Table size="small" aria-label={`Running on ${p.platform}`}>
              <TableHead>
                <TableRow>
                  <TableCell>Cell</TableCell>
                  <TableCell>Build</TableCell>
                  <TableCell>Worker</TableCell>
                  <TableCell>Waited</TableCell>
                  <TableCell>Running for</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {p.running.map((c) => (
                  <TableRow key={c.attempt_id} data-attempt={c.attempt_id}>
                    <CellAndBuild cell={c} />
                    <TableCell>{c.worker ?? "—"}</TableCell>
                    <TableCell>{duration(c.wait_ms)}</TableCell>
                    <TableCell>{duration(c.running_ms + since)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
          {p.waiting.length > 0 && (
            <Table size="small" aria-label={`Waiting for ${p.platform}`}>
              <TableHead>
                <TableRow>
                  <TableCell>Cell</TableCell>
                  <TableCell>Build</TableCell>
                  <TableCell>Waiting for</TableCell>
                  <TableCell>Why</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {p.waiting.map((c) => (
                  <TableRow key={c.attempt_id} data-attempt={c.attempt_id}>
                    <CellAndBuild cell={c} />
                    <TableCell>{duration(c.wait_ms + since)}</TableCell>
                    <TableCell>
                      {c.waiting_approval ? (
                        <Chip size="small" color="warning" label="waiting for a maintainer's approval" />
                      ) : c.held ? (
                        <Chip size="small" label="held: the build's max_parallel" />
                      ) : (
                        "a free worker"
                      )}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </Paper>
      ))}
    </Stack>
  );
}

/** A queued or running cell's first two columns: the cell (its page) and its build. */
function CellAndBuild({
  cell: c,
}: {
  readonly cell: Pick<
    QueueAnswer["platforms"][number]["waiting"][number],
    "build_id" | "cell" | "attempt" | "repository"
  >;
}) {
  return (
    <>
      <TableCell>
        <Link component={RouterLink} to={`/builds/${c.build_id}/cells/${encodeURIComponent(c.cell.key)}`}>
          {c.cell.name}
        </Link>
        {c.attempt > 1 ? ` (attempt ${c.attempt})` : ""}
      </TableCell>
      <TableCell>
        {c.repository} #{c.build_id}
      </TableCell>
    </>
  );
}
