/**
 * A cell's log: ANSI colours, only the rows on screen in the DOM (a 500 MB
 * log reads its last 256 KiB first and the page before each time the top is
 * reached), a running cell followed as its output arrives, search over what is
 * read, and a link to every line (`#b<byte offset>`, the same line whatever
 * part is read).
 */
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import LinearProgress from "@mui/material/LinearProgress";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { AnsiLine } from "./AnsiLine.tsx";
import {
  append,
  emptyWindow,
  findLines,
  fromTail,
  type LogWindow,
  prepend,
  stripAnsi,
  visibleLines,
} from "./log-model.ts";

export const PAGE_BYTES = 256 * 1024;
const ROW_PX = 20;

export interface LogViewerProps {
  /** The API's log route of the attempt (a path, or a URL whose path is used). */
  readonly url: string;
  /** The attempt runs: follow its output until it ends. */
  readonly live: boolean;
  /** Told when a followed log ends (the attempt finished): the page reads the build again. */
  readonly onEnded?: () => void;
  readonly pageBytes?: number;
  /** The attempt's annotations: a log line that reports one links to it (`#<anchor>`). */
  readonly annotations?: readonly LogAnnotation[];
}

export interface LogAnnotation {
  /** In the repository. */
  readonly path: string;
  readonly line: number;
  readonly anchor: string;
}

/** `file:line[:column]: error|warning|note…`, as GCC and Clang print a diagnostic. */
const DIAGNOSTIC = /([^\s:]+):(\d+)(?::\d+)?: (?:fatal error|error|warning|note)/;

/** The annotation a log line reports (its path may be absolute in the container: matched by its end). */
export function annotationFor(text: string, annotations: readonly LogAnnotation[]): LogAnnotation | undefined {
  const found = DIAGNOSTIC.exec(stripAnsi(text));
  if (!found?.[1] || !found[2]) return undefined;
  const path = found[1];
  const line = Number(found[2]);
  return annotations.find((a) => a.line === line && (path === a.path || path.endsWith(`/${a.path}`)));
}

type Status =
  | { readonly kind: "loading" }
  | { readonly kind: "ready" }
  | { readonly kind: "error"; readonly message: string };

function pathOf(url: string): string {
  const parsed = new URL(url, window.location.origin);
  return parsed.pathname + parsed.search;
}

function contentRange(header: string | null): { start: number; end: number; size: number } | null {
  const found = header ? /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header) : null;
  return found ? { start: Number(found[1]), end: Number(found[2]), size: Number(found[3]) } : null;
}

export function LogViewer(props: LogViewerProps) {
  const page = props.pageBytes ?? PAGE_BYTES;
  const path = pathOf(props.url);
  const [log, setLog] = useState<LogWindow>(emptyWindow);
  const [status, setStatus] = useState<Status>({ kind: "loading" });
  const [following, setFollowing] = useState(props.live);
  const [query, setQuery] = useState("");
  const [match, setMatch] = useState(0);
  const [target, setTarget] = useState<number | null>(() => {
    const found = /^#b(\d+)$/.exec(window.location.hash);
    return found ? Number(found[1]) : null;
  });
  // A line's link opened while the page is open (another link, the address bar): that line.
  useEffect(() => {
    const follow = () => {
      const found = /^#b(\d+)$/.exec(window.location.hash);
      if (found) setTarget(Number(found[1]));
    };
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  const loadingEarlier = useRef(false);
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const onEnded = useRef(props.onEnded);
  onEnded.current = props.onEnded;

  // Read: a stored log's last page, or a running one's output as it comes.
  useEffect(() => {
    const controller = new AbortController();
    setLog(emptyWindow());
    setStatus({ kind: "loading" });
    const failed = async (response: Response) => {
      const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
      setStatus({ kind: "error", message: body?.error?.message ?? `${response.status} ${response.statusText}` });
    };
    const read = async () => {
      if (props.live) {
        const separator = path.includes("?") ? "&" : "?";
        const response = await fetch(`${path}${separator}follow=1`, {
          signal: controller.signal,
          credentials: "same-origin",
        });
        if (!response.ok || !response.body) return failed(response);
        setStatus({ kind: "ready" });
        setFollowing(true);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          setLog((current) => append(current, value));
        }
        setFollowing(false);
        onEnded.current?.();
        return;
      }
      const response = await fetch(path, {
        signal: controller.signal,
        credentials: "same-origin",
        headers: { range: `bytes=-${page}` },
      });
      if (response.status === 416) {
        // An empty log: nothing to read.
        setLog({ ...emptyWindow(), size: 0 });
        setStatus({ kind: "ready" });
        return;
      }
      if (!response.ok) return failed(response);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const range = contentRange(response.headers.get("content-range"));
      setLog(range ? fromTail(bytes, range.start, range.size) : fromTail(bytes, 0, bytes.length));
      setStatus({ kind: "ready" });
    };
    read().catch((error: unknown) => {
      if (!controller.signal.aborted)
        setStatus({ kind: "error", message: error instanceof Error ? error.message : String(error) });
    });
    return () => controller.abort();
  }, [path, props.live, page]);

  const loadEarlier = useCallback(async () => {
    if (loadingEarlier.current || log.start === 0 || props.live) return;
    loadingEarlier.current = true;
    try {
      const from = Math.max(0, log.start - page);
      const response = await fetch(path, {
        credentials: "same-origin",
        headers: { range: `bytes=${from}-${log.start - 1}` },
      });
      if (response.status !== 206) return;
      const bytes = new Uint8Array(await response.arrayBuffer());
      const before = visibleLines(log).length;
      const next = prepend(log, bytes, from);
      setLog(next);
      // The rows read above the ones on screen push them down: keep what the reader sees where it was.
      const added = visibleLines(next).length - before;
      requestAnimationFrame(() => {
        if (scroller.current) scroller.current.scrollTop += added * ROW_PX;
      });
    } finally {
      loadingEarlier.current = false;
    }
  }, [log, page, path, props.live]);

  const lines = useMemo(() => visibleLines(log), [log]);
  const matches = useMemo(() => findLines(lines, query), [lines, query]);
  const virtualizer = useVirtualizer({
    count: lines.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_PX,
    overscan: 30,
    // Before the first measure (and where nothing measures, as in jsdom): the box's usual size.
    initialRect: { width: 1200, height: 600 },
  });

  // New output follows the bottom while the reader stays there.
  useEffect(() => {
    if (props.live && stick.current && lines.length > 0) virtualizer.scrollToIndex(lines.length - 1, { align: "end" });
  }, [lines.length, props.live, virtualizer]);

  // A line's link: read back until it is there, then show it.
  useEffect(() => {
    if (target === null || status.kind !== "ready") return;
    if (target < log.start) {
      void loadEarlier();
      return;
    }
    const index = lines.findIndex(
      (line, i) => line.offset <= target && (lines[i + 1]?.offset ?? Number.MAX_SAFE_INTEGER) > target,
    );
    if (index >= 0) virtualizer.scrollToIndex(index, { align: "center" });
  }, [target, status.kind, log.start, lines, loadEarlier, virtualizer]);

  // The first screen of a stored log is its end.
  const shownEnd = useRef<string | null>(null);
  useEffect(() => {
    if (status.kind === "ready" && !props.live && target === null && shownEnd.current !== path && lines.length > 0) {
      shownEnd.current = path;
      virtualizer.scrollToIndex(lines.length - 1, { align: "end" });
    }
  }, [status.kind, props.live, target, path, lines.length, virtualizer]);

  const annotated = (text: string) => {
    const found =
      props.annotations && props.annotations.length > 0 ? annotationFor(text, props.annotations) : undefined;
    return found ? (
      <Box component="a" href={`#${found.anchor}`} data-annotation-link={found.anchor} sx={{ color: "#ffd54f", pr: 2 }}>
        ↪ annotation
      </Box>
    ) : null;
  };
  const goTo = (index: number) => {
    const at = matches[index];
    if (at === undefined) return;
    setMatch(index);
    virtualizer.scrollToIndex(at, { align: "center" });
  };
  const targetLine =
    target === null
      ? -1
      : lines.findIndex((l, i) => l.offset <= target && (lines[i + 1]?.offset ?? Number.MAX_SAFE_INTEGER) > target);
  const matchedLine = matches[match];

  return (
    <Stack spacing={1} component="section" aria-label="Log">
      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
        <TextField
          size="small"
          label="Search the log"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setMatch(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter")
              goTo(matches.length === 0 ? 0 : (match + (e.shiftKey ? matches.length - 1 : 1)) % matches.length);
          }}
        />
        <Typography variant="body2" role="status" aria-label="Matches">
          {query ? `${matches.length === 0 ? 0 : match + 1} of ${matches.length}` : ""}
        </Typography>
        <Button
          size="small"
          disabled={matches.length === 0}
          onClick={() => goTo((match + matches.length - 1) % matches.length)}
        >
          Previous
        </Button>
        <Button size="small" disabled={matches.length === 0} onClick={() => goTo((match + 1) % matches.length)}>
          Next
        </Button>
        <Box sx={{ flexGrow: 1 }} />
        <Typography variant="body2" role="status" aria-label="Log status">
          {following
            ? "following the running cell"
            : log.start > 0
              ? `the last ${formatBytes((log.size ?? 0) - log.start)} of ${formatBytes(log.size ?? 0)}; scroll up for more`
              : log.size !== null
                ? formatBytes(log.size)
                : ""}
        </Typography>
        {log.start > 0 && (
          <Button size="small" onClick={() => void loadEarlier()}>
            Load earlier
          </Button>
        )}
      </Stack>
      {status.kind === "loading" && <LinearProgress aria-label="Loading the log" />}
      {status.kind === "error" && <Alert severity="warning">{status.message}</Alert>}
      {status.kind === "ready" && lines.length === 0 && !following && <Typography>The log is empty.</Typography>}
      <Box
        ref={scroller}
        role="log"
        aria-label="Log lines"
        tabIndex={0}
        onScroll={(e) => {
          const element = e.currentTarget;
          stick.current = element.scrollTop + element.clientHeight >= element.scrollHeight - ROW_PX * 2;
          if (element.scrollTop < ROW_PX * 10) void loadEarlier();
        }}
        sx={{
          height: "60vh",
          overflow: "auto",
          fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
          fontSize: 13,
          bgcolor: "#1e1e1e",
          color: "#d4d4d4",
          borderRadius: 1,
        }}
      >
        <Box sx={{ height: virtualizer.getTotalSize(), position: "relative", minWidth: "max-content" }}>
          {virtualizer.getVirtualItems().map((row) => {
            const line = lines[row.index];
            if (!line) return null;
            const chosen = row.index === targetLine || row.index === matchedLine;
            return (
              <Box
                key={row.key}
                data-offset={line.offset}
                data-chosen={chosen ? "" : undefined}
                sx={{
                  position: "absolute",
                  top: 0,
                  transform: `translateY(${row.start}px)`,
                  height: ROW_PX,
                  lineHeight: `${ROW_PX}px`,
                  whiteSpace: "pre",
                  display: "flex",
                  bgcolor: chosen ? "rgba(255, 213, 79, 0.25)" : undefined,
                }}
              >
                {props.live ? (
                  <Box component="span" sx={{ width: 24 }} />
                ) : (
                  <Box
                    component="a"
                    href={`#b${line.offset}`}
                    onClick={() => setTarget(line.offset)}
                    aria-label={`Link to the line at byte ${line.offset}`}
                    sx={{
                      width: 24,
                      color: "#9e9e9e",
                      textDecoration: "none",
                      textAlign: "center",
                      "&:hover": { color: "#fff" },
                    }}
                  >
                    #
                  </Box>
                )}
                <Box component="span" sx={{ pr: 2 }}>
                  <AnsiLine text={line.text} {...(query ? { highlight: query } : {})} />
                </Box>
                {annotated(line.text)}
              </Box>
            );
          })}
        </Box>
      </Box>
    </Stack>
  );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
