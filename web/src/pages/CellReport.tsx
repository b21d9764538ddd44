/**
 * What an attempt said, as its check run says it: annotations grouped by file,
 * each linked to its lines on GitHub; the summary (failed tests with their
 * output among it) as Markdown, without raw HTML; its artifacts and SBOMs.
 */
import Box from "@mui/material/Box";
import Chip from "@mui/material/Chip";
import Link from "@mui/material/Link";
import List from "@mui/material/List";
import ListItem from "@mui/material/ListItem";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import Markdown from "react-markdown";
import type { CellReport, StoredFile } from "../api/types.ts";
import { useApi } from "../use-api.ts";

export function annotationAnchor(index: number): string {
  return `annotation-${index}`;
}

export function CellReportView(props: {
  readonly buildId: string;
  readonly cellKey: string;
  readonly attempt: number;
  readonly report: CellReport | undefined;
}) {
  const base = `/api/v1/builds/${props.buildId}`;
  const artifacts = useApi<{ artifacts: StoredFile[] }>(`${base}/artifacts`);
  const sboms = useApi<{ sboms: (StoredFile & { kind: string })[] }>(`${base}/sboms`);
  const mine = (f: StoredFile) => f.cell === props.cellKey && f.attempt === props.attempt;
  const files = [...(artifacts.data?.artifacts.filter(mine) ?? []), ...(sboms.data?.sboms.filter(mine) ?? [])];
  const annotations = props.report?.annotations ?? [];
  const byFile = new Map<string, { index: number; a: CellReport["annotations"][number] }[]>();
  for (const [index, a] of annotations.entries()) byFile.set(a.path, [...(byFile.get(a.path) ?? []), { index, a }]);
  return (
    <Stack spacing={2}>
      {annotations.length > 0 && (
        <Box component="section" aria-label="Annotations">
          <Typography variant="subtitle1" component="h3">
            Annotations: {annotations.length}
          </Typography>
          {[...byFile].map(([path, found]) => (
            <Box key={path} sx={{ mt: 1 }}>
              <Typography component="h4" sx={{ fontFamily: "monospace", fontWeight: 600 }}>
                {path}
              </Typography>
              <List dense disablePadding>
                {found.map(({ index, a }) => (
                  <ListItem
                    key={index}
                    id={annotationAnchor(index)}
                    sx={{ gap: 1, alignItems: "baseline" }}
                    data-annotation={`${a.path}:${a.start_line}`}
                  >
                    <Chip
                      size="small"
                      color={a.level === "failure" ? "error" : a.level === "warning" ? "warning" : "default"}
                      label={a.level}
                    />
                    <Link href={a.url} sx={{ fontFamily: "monospace" }}>
                      line {a.start_line}
                      {a.end_line > a.start_line ? `–${a.end_line}` : ""}
                    </Link>
                    <span>
                      {a.message}
                      {a.code ? ` [${a.code}]` : ""}
                    </span>
                  </ListItem>
                ))}
              </List>
            </Box>
          ))}
        </Box>
      )}
      {props.report?.summary && (
        <Box
          component="section"
          aria-label="Summary"
          sx={{ "& pre": { overflowX: "auto", bgcolor: "action.hover", p: 1, borderRadius: 1 } }}
        >
          <Markdown skipHtml>{props.report.summary}</Markdown>
        </Box>
      )}
      {files.length > 0 && (
        <Box component="section" aria-label="Artifacts and SBOMs">
          <Typography variant="subtitle1" component="h3">
            Artifacts and SBOMs
          </Typography>
          <List dense>
            {files.map((f) => (
              <ListItem key={f.url}>
                <Link href={new URL(f.url, window.location.origin).pathname} download>
                  {f.path}
                </Link>
                &nbsp;({f.size.toLocaleString()} bytes)
              </ListItem>
            ))}
          </List>
        </Box>
      )}
    </Stack>
  );
}
