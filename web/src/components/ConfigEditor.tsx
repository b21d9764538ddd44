/**
 * A configuration's YAML with its line numbers, each problem marked on its
 * line (and listed: choosing one puts the caret where it is).
 */
import Box from "@mui/material/Box";
import Link from "@mui/material/Link";
import List from "@mui/material/List";
import ListItem from "@mui/material/ListItem";
import Stack from "@mui/material/Stack";
import { useRef } from "react";
import type { ConfigurationProblem } from "../api/types.ts";

const LINE_PX = 20;

export function ConfigEditor(props: {
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly problems: readonly ConfigurationProblem[];
  readonly label: string;
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = props.value.split("\n");
  const byLine = new Map<number, ConfigurationProblem[]>();
  for (const p of props.problems) byLine.set(p.line, [...(byLine.get(p.line) ?? []), p]);
  const goTo = (p: ConfigurationProblem) => {
    const element = area.current;
    if (!element) return;
    const offset = lines.slice(0, p.line - 1).reduce((sum, l) => sum + l.length + 1, 0) + Math.max(0, p.column - 1);
    element.focus();
    element.setSelectionRange(offset, offset);
    element.scrollTop = Math.max(0, (p.line - 5) * LINE_PX);
  };
  return (
    <Stack spacing={1}>
      <Box
        sx={{ display: "flex", border: 1, borderColor: "divider", borderRadius: 1, height: 420, overflow: "hidden" }}
      >
        <Box
          ref={gutter}
          aria-hidden="true"
          sx={{
            overflow: "hidden",
            bgcolor: "action.hover",
            fontFamily: "monospace",
            fontSize: 13,
            lineHeight: `${LINE_PX}px`,
            py: 1,
            textAlign: "right",
            minWidth: 56,
          }}
        >
          {Array.from({ length: lines.length }, (_, i) => i + 1).map((number) => {
            const found = byLine.get(number);
            const error = found?.some((p) => p.severity === "error");
            return (
              <Box
                key={number}
                data-line={number}
                data-problem={found ? (error ? "error" : "warning") : undefined}
                title={found?.map((p) => p.message).join("\n")}
                sx={{
                  px: 1,
                  color: found ? "#fff" : "text.secondary",
                  bgcolor: found ? (error ? "error.main" : "warning.dark") : undefined,
                }}
              >
                {found ? "● " : ""}
                {number}
              </Box>
            );
          })}
        </Box>
        <Box
          component="textarea"
          ref={area}
          aria-label={props.label}
          spellCheck={false}
          value={props.value}
          onChange={(e: React.ChangeEvent<HTMLTextAreaElement>) => props.onChange(e.target.value)}
          onScroll={(e: React.UIEvent<HTMLTextAreaElement>) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
          sx={{
            flex: 1,
            border: 0,
            outline: 0,
            resize: "none",
            fontFamily: "monospace",
            fontSize: 13,
            lineHeight: `${LINE_PX}px`,
            p: 1,
            whiteSpace: "pre",
            overflow: "auto",
            bgcolor: "background.paper",
            color: "text.primary",
          }}
        />
      </Box>
      {props.problems.length > 0 && (
        <List dense aria-label="Problems">
          {props.problems.map((p) => (
            <ListItem key={`${p.line}:${p.column}:${p.message}`} data-problem-line={p.line}>
              <Link
                component="button"
                type="button"
                onClick={() => goTo(p)}
                color={p.severity === "error" ? "error" : "inherit"}
              >
                line {p.line}, column {p.column}
              </Link>
              &nbsp;({p.path}): {p.message}
            </ListItem>
          ))}
        </List>
      )}
    </Stack>
  );
}
