/**
 * A small Dockerfile reader for checking recipes that cannot be built here (no
 * registry for their bases): instructions with their line numbers (continuation
 * lines joined, comments dropped, the `# escape=` directive honoured), stages,
 * and the problems a build would hit without ever saying so, such as an ARG
 * used in a stage that does not declare it (it expands to nothing there).
 */

const INSTRUCTIONS = new Set([
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

/** Instructions whose arguments Docker itself expands `$VAR` / `${VAR}` in. */
const SUBSTITUTED = new Set([
  "ADD",
  "COPY",
  "ENV",
  "EXPOSE",
  "FROM",
  "LABEL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  /** 1-based line of the instruction's first line. */
  readonly line: number;
}

export interface Stage {
  /** `FROM` as written. */
  readonly from: string;
  /** `FROM` with the global ARGs' defaults (or the given values) substituted. */
  readonly base: string;
  readonly name: string | null;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  readonly escapeChar: string;
  /** Global ARGs (before the first FROM) with their defaults (null: none). */
  readonly globalArgs: ReadonlyMap<string, string | null>;
  readonly stages: readonly Stage[];
}

export function parseDockerfile(text: string, values: Readonly<Record<string, string>> = {}): Dockerfile {
  const lines = text.split(/\r?\n/);
  let escapeChar = "\\";
  // Parser directives: `# key=value` lines before anything else.
  for (const line of lines) {
    const directive = /^#\s*(\w+)\s*=\s*(\S+)\s*$/.exec(line);
    if (!directive) break;
    if (directive[1]?.toLowerCase() === "escape") escapeChar = directive[2] ?? "\\";
  }
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | null = null;
  for (const [index, raw] of lines.entries()) {
    const trimmed = raw.trim();
    // Comments and blank lines, also between continued lines, are not part of an instruction.
    if (trimmed.startsWith("#") || trimmed === "") continue;
    const continues = trimmed.endsWith(escapeChar);
    const body = continues ? trimmed.slice(0, -escapeChar.length).trimEnd() : trimmed;
    pending = pending ? { text: `${pending.text} ${body}`, line: pending.line } : { text: body, line: index + 1 };
    if (!continues) {
      const match = /^(\S+)\s*([\s\S]*)$/.exec(pending.text);
      instructions.push({
        keyword: (match?.[1] ?? "").toUpperCase(),
        args: (match?.[2] ?? "").trim(),
        line: pending.line,
      });
      pending = null;
    }
  }
  if (pending) throw new Error("the file ends inside a continued line");

  const globalArgs = new Map<string, string | null>();
  const stages: Stage[] = [];
  let current: Instruction[] | null = null;
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const [from = "", as, name] = instruction.args.split(/\s+/);
      const base = substitute(from, (variable) => values[variable] ?? globalArgs.get(variable) ?? null);
      current = [];
      stages.push({ from, base, name: as?.toUpperCase() === "AS" && name ? name : null, instructions: current });
    } else if (current) {
      current.push(instruction);
    } else if (instruction.keyword === "ARG") {
      const [name = "", value] = splitArg(instruction.args);
      globalArgs.set(name, value);
    } else {
      throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
    }
  }
  return { escapeChar, globalArgs, stages };
}

function splitArg(args: string): [string, string | null] {
  const at = args.indexOf("=");
  if (at < 0) return [args.trim(), null];
  return [args.slice(0, at).trim(), unquote(args.slice(at + 1).trim())];
}

function unquote(value: string): string {
  return /^".*"$|^'.*'$/.test(value) ? value.slice(1, -1) : value;
}

/** `$VAR` and `${VAR}` (with `:-` / `:+` forms) replaced; an unknown variable becomes `<VAR?>`. */
function substitute(text: string, lookup: (name: string) => string | null): string {
  return text.replace(/\$\{(\w+)(?::([-+])([^}]*))?\}|\$(\w+)/g, (_all, braced, op, word, bare) => {
    const name = braced ?? bare;
    const value = lookup(name);
    if (op === "-") return value ? value : word;
    if (op === "+") return value ? word : "";
    return value ?? `<${name}?>`;
  });
}

/** Names a text refers to as Docker (`$X`, `${X}`), a POSIX shell, cmd (`%X%`) or PowerShell (`$env:X`) would. */
export function referencedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/\$\{(\w+)|\$env:(\w+)|\$(\w+)|%(\w+)%/g)) {
    const name = match[1] ?? match[2] ?? match[3] ?? match[4];
    if (name && name !== "env") names.add(name);
  }
  return names;
}

/** ENV keys an instruction's arguments set (`ENV A=1 B=2`, or the old `ENV A 1`). */
export function envKeys(args: string): string[] {
  if (!/^\w+=/.test(args)) return [args.split(/\s+/)[0] ?? ""];
  return [...args.matchAll(/(?:^|\s)(\w+)=/g)].map((m) => m[1] ?? "");
}

/** The stages a stage builds on (itself last), following `FROM <stage>`. */
export function stageChain(file: Dockerfile, index: number): Stage[] {
  const stage = file.stages[index];
  if (!stage) return [];
  const parent = file.stages.findIndex((s, i) => i < index && s.name === stage.base);
  return parent >= 0 ? [...stageChain(file, parent), stage] : [stage];
}

/** Variables a base image sets that recipes may extend (`ENV PATH=...:${PATH}`). */
const BASE_IMAGE_ENV = new Set(["PATH"]);

/** Upper-case names a RUN's shell provides itself (cmd's exit status, the usual environment). */
const SHELL_ENV = new Set(["ERRORLEVEL", "HOME", "PATH", "PWD"]);

/**
 * What would go wrong in a build, without building: unknown instructions, an
 * ARG used where it is not declared, an ARG declared and never used, a base
 * image without a tag or with `latest`, a stage reference to no stage.
 */
export function problems(text: string, values: Readonly<Record<string, string>> = {}): string[] {
  const found: string[] = [];
  let file: Dockerfile;
  try {
    file = parseDockerfile(text, values);
  } catch (error) {
    return [String(error instanceof Error ? error.message : error)];
  }
  const allArgs = new Set<string>(file.globalArgs.keys());
  for (const stage of file.stages) {
    for (const i of stage.instructions) if (i.keyword === "ARG") allArgs.add(splitArg(i.args)[0]);
  }
  // A global ARG is used by a FROM, or gives its default to a stage that declares it again.
  const usedGlobals = new Set<string>();
  for (const stage of file.stages) {
    for (const i of stage.instructions) if (i.keyword === "ARG") usedGlobals.add(splitArg(i.args)[0]);
  }
  file.stages.forEach((stage, index) => {
    for (const name of referencedNames(stage.from)) {
      usedGlobals.add(name);
      if (!file.globalArgs.has(name)) found.push(`FROM ${stage.from}: ${name} is not a global ARG`);
    }
    const isStage = file.stages.some((s, i) => i < index && s.name === stage.base);
    if (!isStage) {
      if (stage.base.includes("<")) found.push(`FROM ${stage.from}: no value for ${stage.base}`);
      else if (!/^[^@]+@sha256:[0-9a-f]{64}$/.test(stage.base)) {
        const tag = /:([^/:]+)$/.exec(stage.base)?.[1];
        if (!tag) found.push(`FROM ${stage.from}: ${stage.base} has no tag`);
        else if (tag === "latest") found.push(`FROM ${stage.from}: ${stage.base} uses the latest tag`);
      }
    }
    // In scope: this stage's ARGs once declared, ENV of this stage and of the stages it builds on.
    const inherited = new Set<string>(BASE_IMAGE_ENV);
    for (const parent of stageChain(file, index).slice(0, -1)) {
      for (const i of parent.instructions) if (i.keyword === "ENV") for (const k of envKeys(i.args)) inherited.add(k);
    }
    const declared = new Map<string, boolean>(); // ARG name -> used since
    const env = new Set<string>(inherited);
    for (const instruction of stage.instructions) {
      if (!INSTRUCTIONS.has(instruction.keyword)) {
        found.push(`line ${instruction.line}: unknown instruction ${instruction.keyword}`);
        continue;
      }
      const names = referencedNames(
        instruction.keyword === "ARG" ? (splitArg(instruction.args)[1] ?? "") : instruction.args,
      );
      for (const name of names) {
        const inScope = declared.has(name) || env.has(name);
        if (declared.has(name)) declared.set(name, true);
        // Docker expands these itself. In RUN, a shell's own (lower-case) variables are fine; an
        // upper-case name is the build's (ARG, ENV), and one this stage lacks expands to nothing.
        const mustBeKnown =
          SUBSTITUTED.has(instruction.keyword) ||
          instruction.keyword === "ARG" ||
          allArgs.has(name) ||
          (/^[A-Z][A-Z0-9_]*$/.test(name) && !SHELL_ENV.has(name));
        if (!inScope && mustBeKnown) {
          found.push(
            `line ${instruction.line}: ${instruction.keyword} uses ${name}, which this stage does not declare`,
          );
        }
      }
      if (instruction.keyword === "ARG") declared.set(splitArg(instruction.args)[0], false);
      if (instruction.keyword === "ENV") for (const k of envKeys(instruction.args)) env.add(k);
    }
    for (const [name, used] of declared) {
      if (!used) found.push(`stage ${stage.name ?? index}: ARG ${name} is declared and never used`);
    }
  });
  for (const name of file.globalArgs.keys()) {
    if (!usedGlobals.has(name)) found.push(`global ARG ${name} is used by no FROM and declared by no stage`);
  }
  return found;
}

/** What a container of the final stage (following stage references) runs as, with, and where. */
export function finalStage(text: string, values: Readonly<Record<string, string>> = {}) {
  const file = parseDockerfile(text, values);
  const chain = stageChain(file, file.stages.length - 1);
  const all = chain.flatMap((s) => s.instructions);
  const last = (keyword: string) => all.filter((i) => i.keyword === keyword).at(-1)?.args ?? null;
  return {
    base: chain[0]?.base ?? null,
    user: last("USER"),
    workdir: last("WORKDIR"),
    entrypoint: last("ENTRYPOINT"),
    cmd: last("CMD"),
    env: new Set(all.filter((i) => i.keyword === "ENV").flatMap((i) => envKeys(i.args))),
    runs: all.filter((i) => i.keyword === "RUN").map((i) => i.args),
    copies: all.filter((i) => i.keyword === "COPY").map((i) => i.args),
  };
}
