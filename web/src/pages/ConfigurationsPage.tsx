/** Stored configurations: the list, one to read and edit (problems on their lines), a new one, a delete. */
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import LinearProgress from "@mui/material/LinearProgress";
import Link from "@mui/material/Link";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useEffect, useState } from "react";
import { Link as RouterLink, useNavigate, useParams } from "react-router";
import { ApiError, api } from "../api/client.ts";
import type { ConfigurationProblem, ConfigurationSummary, StoredConfiguration } from "../api/types.ts";
import { ConfigEditor } from "../components/ConfigEditor.tsx";
import { ago } from "../format.ts";
import { useApi } from "../use-api.ts";

const STARTER = "version: 1\nmatrix:\n  compiler: [gcc@13, clang@17]\n  cxx_standard: [17, 20]\n";

/** A refusal's problems (422), or its message as one problem-less error. */
function problemsOf(error: unknown): { problems: ConfigurationProblem[]; message: string } {
  if (error instanceof ApiError) {
    const problems = (error.details as { problems?: ConfigurationProblem[] } | undefined)?.problems ?? [];
    return { problems, message: error.message };
  }
  return { problems: [], message: String(error) };
}

export function ConfigurationsPage() {
  const { name } = useParams();
  return name ? <ConfigurationPage name={name} /> : <ConfigurationList />;
}

function ConfigurationList() {
  const { data, error, loading } = useApi<{ configurations: ConfigurationSummary[] }>("/api/v1/configurations");
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [document, setDocument] = useState(STARTER);
  const [refusal, setRefusal] = useState<{ problems: ConfigurationProblem[]; message: string } | null>(null);
  const create = async () => {
    try {
      await api("/api/v1/configurations", { method: "POST", body: { name, document } });
      navigate(`/configurations/${encodeURIComponent(name)}`);
    } catch (failure) {
      setRefusal(problemsOf(failure));
    }
  };
  return (
    <Stack spacing={2}>
      <Typography variant="h5" component="h1">
        Configurations
      </Typography>
      <Typography>
        Stored configurations: a repository's <code>.heimdall-build.yml</code> may start from one with{" "}
        <code>extends: &lt;name&gt;</code>, and <code>POST /api/v1/builds</code> may name one.
      </Typography>
      {error && <Alert severity="error">{error.message}</Alert>}
      {loading && !data && <LinearProgress aria-label="Loading the configurations" />}
      <Table size="small" aria-label="Configurations">
        <TableHead>
          <TableRow>
            <TableCell>Name</TableCell>
            <TableCell>Version</TableCell>
            <TableCell>Written</TableCell>
            <TableCell>By</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {data?.configurations.map((c) => (
            <TableRow key={c.name}>
              <TableCell>
                <Link component={RouterLink} to={`/configurations/${encodeURIComponent(c.name)}`}>
                  {c.name}
                </Link>
              </TableCell>
              <TableCell>{c.version}</TableCell>
              <TableCell>{ago(c.updated_at)}</TableCell>
              <TableCell>{c.updated_by}</TableCell>
            </TableRow>
          ))}
          {data && data.configurations.length === 0 && (
            <TableRow>
              <TableCell colSpan={4}>None stored yet.</TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
      <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-label="New configuration">
        <Stack spacing={2}>
          <Typography variant="h6" component="h2">
            New configuration
          </Typography>
          <TextField
            size="small"
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            sx={{ maxWidth: 320 }}
          />
          <ConfigEditor
            label="New configuration's YAML"
            value={document}
            onChange={setDocument}
            problems={refusal?.problems ?? []}
          />
          {refusal && <Alert severity="error">{refusal.message}</Alert>}
          <div>
            <Button variant="contained" disabled={!name} onClick={() => void create()}>
              Store it
            </Button>
          </div>
        </Stack>
      </Paper>
    </Stack>
  );
}

function ConfigurationPage({ name }: { readonly name: string }) {
  const navigate = useNavigate();
  const path = `/api/v1/configurations/${encodeURIComponent(name)}`;
  const { data, error, reload } = useApi<StoredConfiguration>(path);
  const [document, setDocument] = useState("");
  const [refusal, setRefusal] = useState<{ problems: ConfigurationProblem[]; message: string } | null>(null);
  const [saved, setSaved] = useState<number | null>(null);
  useEffect(() => {
    if (data) setDocument(data.document);
  }, [data]);
  const save = async () => {
    setSaved(null);
    try {
      const stored = await api<StoredConfiguration>(path, { method: "PUT", body: { document } });
      setRefusal(null);
      setSaved(stored.version);
      reload();
    } catch (failure) {
      setRefusal(problemsOf(failure));
    }
  };
  const remove = async () => {
    try {
      await api(path, { method: "DELETE" });
      navigate("/configurations");
    } catch (failure) {
      setRefusal(problemsOf(failure));
    }
  };
  if (error) return <Alert severity="error">{error.message}</Alert>;
  if (!data) return <LinearProgress aria-label="Loading the configuration" />;
  return (
    <Stack spacing={2}>
      <Typography variant="h5" component="h1">
        Configuration {data.name}
      </Typography>
      <Typography>
        Version {data.version} of {data.latest_version}, written {ago(data.created_at)} by {data.created_by}.
      </Typography>
      <ConfigEditor
        label={`${data.name}'s YAML`}
        value={document}
        onChange={setDocument}
        problems={refusal?.problems ?? []}
      />
      {refusal && <Alert severity="error">{refusal.message}</Alert>}
      {saved !== null && (
        <Alert severity="success" role="status">
          Stored as version {saved}.
        </Alert>
      )}
      <Stack direction="row" spacing={1}>
        <Button variant="contained" disabled={document === data.document} onClick={() => void save()}>
          Save a new version
        </Button>
        <Button color="error" onClick={() => void remove()}>
          Delete
        </Button>
      </Stack>
      <Typography variant="subtitle1" component="h2">
        Versions
      </Typography>
      <Table size="small" aria-label="Versions">
        <TableBody>
          {data.versions.map((v) => (
            <TableRow key={v.version}>
              <TableCell>{v.version}</TableCell>
              <TableCell>{ago(v.created_at)}</TableCell>
              <TableCell>{v.created_by}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Stack>
  );
}
