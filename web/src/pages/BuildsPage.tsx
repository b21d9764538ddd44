/** Build history: newest first, filters kept in the URL, updated live. */
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import LinearProgress from "@mui/material/LinearProgress";
import Link from "@mui/material/Link";
import MenuItem from "@mui/material/MenuItem";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useEffect, useState } from "react";
import { Link as RouterLink, useSearchParams } from "react-router";
import type { BuildPage } from "../api/types.ts";
import { CountsGrid } from "../components/CountsGrid.tsx";
import { OutcomeChip } from "../components/OutcomeChip.tsx";
import { buildOutcomeOf } from "../components/outcome.ts";
import { ago, duration, shortSha } from "../format.ts";
import { useBuildEvents } from "../live.ts";
import { useApi } from "../use-api.ts";

const FILTERS = ["repository", "branch", "state", "conclusion"] as const;
const STATES = ["", "queued", "in_progress", "completed"];
const CONCLUSIONS = ["", "success", "failure", "cancelled", "action_required", "neutral"];

export function BuildsPage() {
  const [params, setParams] = useSearchParams();
  const query = new URLSearchParams();
  for (const name of [...FILTERS, "cursor"]) {
    const value = params.get(name);
    if (value) query.set(name, value);
  }
  const { data, error, loading, reload } = useApi<BuildPage>(`/api/v1/builds?${query}`);
  const firstPage = !params.get("cursor");
  // Live: the first page follows every change; an older page stays as it was read.
  useBuildEvents(() => {
    if (firstPage) reload();
  });
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    next.delete("cursor");
    setParams(next);
  };
  return (
    <Stack spacing={2}>
      <Typography variant="h5" component="h1">
        Builds
      </Typography>
      <Stack direction="row" spacing={2} component="form" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <DebouncedField
          label="Repository"
          placeholder="owner/name"
          value={params.get("repository") ?? ""}
          onChange={(v) => set("repository", v)}
        />
        <DebouncedField label="Branch" value={params.get("branch") ?? ""} onChange={(v) => set("branch", v)} />
        <TextField
          select
          size="small"
          label="State"
          value={params.get("state") ?? ""}
          onChange={(e) => set("state", e.target.value)}
          sx={{ minWidth: 140 }}
        >
          {STATES.map((s) => (
            <MenuItem key={s} value={s}>
              {s || "any"}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          select
          size="small"
          label="Conclusion"
          value={params.get("conclusion") ?? ""}
          onChange={(e) => set("conclusion", e.target.value)}
          sx={{ minWidth: 160 }}
        >
          {CONCLUSIONS.map((c) => (
            <MenuItem key={c} value={c}>
              {c || "any"}
            </MenuItem>
          ))}
        </TextField>
      </Stack>
      {error && <Alert severity="error">{error.message}</Alert>}
      <Box sx={{ minHeight: 4 }}>{loading && <LinearProgress aria-label="Loading builds" />}</Box>
      <Table size="small" aria-label="Builds">
        <TableHead>
          <TableRow>
            <TableCell>Build</TableCell>
            <TableCell>Repository</TableCell>
            <TableCell>Branch or pull request</TableCell>
            <TableCell>Commit</TableCell>
            <TableCell>Who</TableCell>
            <TableCell>When</TableCell>
            <TableCell>Duration</TableCell>
            <TableCell>State</TableCell>
            <TableCell>Cells</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {data?.builds.map((b) => (
            <TableRow key={b.id} hover data-build={b.id}>
              <TableCell>
                <Link component={RouterLink} to={`/builds/${b.id}`}>
                  #{b.id}
                </Link>
              </TableCell>
              <TableCell>{b.repository}</TableCell>
              <TableCell>{b.pull_request !== null ? `#${b.pull_request}` : (b.branch ?? "—")}</TableCell>
              <TableCell>
                <code>{shortSha(b.commit)}</code>
              </TableCell>
              <TableCell>{b.sender ?? (b.requested_by ? `${b.requested_by} (API)` : b.event)}</TableCell>
              <TableCell title={b.created_at}>{ago(b.created_at)}</TableCell>
              <TableCell>{duration(b.duration_ms)}</TableCell>
              <TableCell>
                <OutcomeChip outcome={buildOutcomeOf(b)} />
              </TableCell>
              <TableCell>
                <CountsGrid counts={b.cell_counts} />
              </TableCell>
            </TableRow>
          ))}
          {data && data.builds.length === 0 && (
            <TableRow>
              <TableCell colSpan={9}>No builds match.</TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
      <Stack direction="row" spacing={2}>
        {!firstPage && <Button onClick={() => history.back()}>Newer</Button>}
        {data?.next_cursor && (
          <Button
            onClick={() => {
              const next = new URLSearchParams(params);
              next.set("cursor", data.next_cursor ?? "");
              setParams(next);
            }}
          >
            Older
          </Button>
        )}
      </Stack>
    </Stack>
  );
}

/** A text filter written to the URL once typing pauses, not on every key. */
function DebouncedField(props: {
  readonly label: string;
  readonly placeholder?: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
}) {
  const [text, setText] = useState(props.value);
  const { value, onChange } = props;
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => onChange(text.trim()), 300);
    return () => clearTimeout(timer);
  }, [text, value, onChange]);
  return (
    <TextField
      size="small"
      label={props.label}
      placeholder={props.placeholder}
      value={text}
      onChange={(e) => setText(e.target.value)}
    />
  );
}
