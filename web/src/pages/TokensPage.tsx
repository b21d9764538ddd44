/** Tokens (admins): make one (shown once), see them all (never the token), revoke one. */
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Checkbox from "@mui/material/Checkbox";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormGroup from "@mui/material/FormGroup";
import FormLabel from "@mui/material/FormLabel";
import MenuItem from "@mui/material/MenuItem";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { type FormEvent, useState } from "react";
import { ApiError, api } from "../api/client.ts";
import type { NewToken, TokenList } from "../api/types.ts";
import { ago } from "../format.ts";
import { useApi } from "../use-api.ts";

const SCOPES = ["builds:read", "builds:write", "configurations:write", "admin"] as const;
const EXPIRIES = ["12h", "7d", "30d", "90d", "never"] as const;

export function TokensPage() {
  const { data, error, reload } = useApi<TokenList>("/api/v1/tokens");
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["builds:read"]);
  const [repositories, setRepositories] = useState("");
  const [expires, setExpires] = useState<string>("90d");
  const [made, setMade] = useState<NewToken | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const repos = repositories
      .split(/[\s,]+/)
      .map((r) => r.trim())
      .filter(Boolean);
    try {
      const token = await api<NewToken>("/api/v1/tokens", {
        method: "POST",
        body: { name, scopes, expires, ...(repos.length > 0 ? { repositories: repos } : {}) },
      });
      setMade(token);
      setName("");
      reload();
    } catch (failure) {
      setProblem(failure instanceof ApiError ? describe(failure) : String(failure));
    }
  };

  const revoke = async (id: string) => {
    try {
      await api(`/api/v1/tokens/${id}`, { method: "DELETE" });
      reload();
    } catch (failure) {
      setProblem(failure instanceof Error ? failure.message : String(failure));
    }
  };

  return (
    <Stack spacing={2}>
      <Typography variant="h5" component="h1">
        Tokens
      </Typography>
      {error && <Alert severity="error">{error.message}</Alert>}
      <Paper variant="outlined" sx={{ p: 2 }} component="form" aria-label="New token" onSubmit={create}>
        <Stack spacing={2}>
          <Typography variant="h6" component="h2">
            New token
          </Typography>
          <Stack direction="row" spacing={2}>
            <TextField size="small" label="Name" required value={name} onChange={(e) => setName(e.target.value)} />
            <TextField
              size="small"
              label="Repositories"
              placeholder="owner/name, … (empty: every repository)"
              value={repositories}
              onChange={(e) => setRepositories(e.target.value)}
              sx={{ minWidth: 340 }}
            />
            <TextField
              select
              size="small"
              label="Expires"
              value={expires}
              onChange={(e) => setExpires(e.target.value)}
              sx={{ minWidth: 120 }}
            >
              {EXPIRIES.map((e) => (
                <MenuItem key={e} value={e}>
                  {e === "never" ? "never" : `in ${e}`}
                </MenuItem>
              ))}
            </TextField>
          </Stack>
          <FormGroup row aria-labelledby="scopes-label">
            <FormLabel id="scopes-label" sx={{ mr: 2, alignSelf: "center" }}>
              Scopes
            </FormLabel>
            {SCOPES.map((scope) => (
              <FormControlLabel
                key={scope}
                label={scope}
                control={
                  <Checkbox
                    checked={scopes.includes(scope)}
                    onChange={(e) =>
                      setScopes((now) => (e.target.checked ? [...now, scope] : now.filter((s) => s !== scope)))
                    }
                  />
                }
              />
            ))}
          </FormGroup>
          <div>
            <Button type="submit" variant="contained" disabled={!name || scopes.length === 0}>
              Make the token
            </Button>
          </div>
          {problem && <Alert severity="error">{problem}</Alert>}
          {made && (
            <Alert severity="success" role="status" aria-label="The new token">
              <Typography>Token {made.name}, shown this once: keep it now.</Typography>
              <Typography component="code" sx={{ fontFamily: "monospace", wordBreak: "break-all" }} data-token>
                {made.token}
              </Typography>
            </Alert>
          )}
        </Stack>
      </Paper>
      <Table size="small" aria-label="Tokens">
        <TableHead>
          <TableRow>
            <TableCell>Name</TableCell>
            <TableCell>Starts with</TableCell>
            <TableCell>Scopes</TableCell>
            <TableCell>Repositories</TableCell>
            <TableCell>Expires</TableCell>
            <TableCell>Last used</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {data?.tokens.map((t) => (
            <TableRow key={t.id} data-token-name={t.name}>
              <TableCell>{t.name}</TableCell>
              <TableCell>
                <code>{t.prefix}…</code>
              </TableCell>
              <TableCell>{t.scopes.join(", ")}</TableCell>
              <TableCell>{t.repositories?.join(", ") ?? "every repository"}</TableCell>
              <TableCell>{t.expires_at ? new Date(t.expires_at).toLocaleString() : "never"}</TableCell>
              <TableCell>{t.last_used_at ? ago(t.last_used_at) : "never"}</TableCell>
              <TableCell>
                {t.revoked_at ? (
                  `revoked ${ago(t.revoked_at)}`
                ) : (
                  <Button size="small" color="error" onClick={() => void revoke(t.id)} aria-label={`Revoke ${t.name}`}>
                    Revoke
                  </Button>
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Stack>
  );
}

/** The API's refusal with where each problem is. */
function describe(error: ApiError): string {
  const issues = (error.details as { issues?: { path?: string; message?: string }[] } | undefined)?.issues;
  if (!issues?.length) return error.message;
  return issues.map((i) => `${i.path ?? ""}: ${i.message ?? ""}`).join("; ");
}
