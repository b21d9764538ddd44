/** Re-run (all, failed, one cell) and Cancel: the API decides who may; its refusal is shown as it says it. */
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import { useState } from "react";
import { api } from "../api/client.ts";
import type { BuildDetail } from "../api/types.ts";

export function BuildActions(props: {
  readonly build: BuildDetail;
  readonly cellKey?: string | undefined;
  readonly onDone: () => void;
}) {
  const { build } = props;
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ severity: "success" | "error"; text: string } | null>(null);
  const act = async (label: string, call: () => Promise<unknown>) => {
    setBusy(true);
    setMessage(null);
    try {
      await call();
      setMessage({ severity: "success", text: label });
      props.onDone();
    } catch (error) {
      setMessage({ severity: "error", text: error instanceof Error ? error.message : String(error) });
    } finally {
      setBusy(false);
    }
  };
  const failed = build.cell_counts.failure + build.cell_counts.timed_out + build.cell_counts.cancelled;
  const open = build.status !== "completed";
  const rerun = (body: object, label: string) =>
    act(label, () => api(`/api/v1/builds/${build.id}/rerun`, { method: "POST", body }));
  return (
    <Stack spacing={1}>
      <Stack direction="row" spacing={1}>
        <Button variant="outlined" disabled={busy} onClick={() => rerun({}, "Re-run of every cell queued")}>
          Re-run all
        </Button>
        <Button
          variant="outlined"
          disabled={busy || failed === 0}
          onClick={() => rerun({ failed_only: true }, "Re-run of the failed cells queued")}
        >
          Re-run failed
        </Button>
        {props.cellKey && (
          <Button
            variant="outlined"
            disabled={busy}
            onClick={() => rerun({ cells: [props.cellKey] }, `Re-run of ${props.cellKey} queued`)}
          >
            Re-run this cell
          </Button>
        )}
        <Button
          variant="outlined"
          color="error"
          disabled={busy || !open}
          onClick={() => act("Build cancelled", () => api(`/api/v1/builds/${build.id}`, { method: "DELETE" }))}
        >
          Cancel
        </Button>
      </Stack>
      {message && (
        <Alert severity={message.severity} role={message.severity === "error" ? "alert" : "status"}>
          {message.text}
        </Alert>
      )}
    </Stack>
  );
}
