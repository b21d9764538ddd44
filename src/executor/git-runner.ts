/**
 * git as the source cache runs it: hooks off, only the protocols the checked
 * URLs need, nothing from the host's or a parent git's config, and a token
 * only as an `http.<origin>/.extraheader` in the environment of the processes
 * that fetch; an error that could carry the token has it redacted.
 */
import { runProcess } from "./run-process.ts";
import { SourceError } from "./source-error.ts";

export interface GitCall {
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly deadline: number;
  /** Talks to the repository's server: gets the token header, and file:// only when allowed. */
  readonly network?: { readonly origin: string; readonly token: string | null };
  /** Reads one of our own mirrors by path (a local clone), which protocol.file must allow. */
  readonly local?: boolean;
  /** Exit codes that are answers, not failures (`git config --get` says 1 for "unset"). */
  readonly okCodes?: readonly number[];
}

export interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GitRunnerOptions {
  readonly gitBinary: string;
  /** The time limit that a timed-out git's error names. */
  readonly timeoutMs: number;
  /** file:// for the network calls too (tests); our own mirrors are read by path whatever this says. */
  readonly allowFileUrls: boolean;
  /** Plain http at all: the URLs were checked, so it only ever names the configured GitHub Enterprise host. */
  readonly allowsHttp: boolean;
}

export class GitRunner {
  readonly #options: GitRunnerOptions;

  constructor(options: GitRunnerOptions) {
    this.#options = options;
  }

  /** The call's output when git exits 0 (or with one of its okCodes), else a SourceError saying why. */
  async run(call: GitCall): Promise<GitResult> {
    const result = await runProcess(this.#options.gitBinary, call.args, {
      env: this.#env(call),
      deadline: call.deadline,
      ...(call.cwd ? { cwd: call.cwd } : {}),
    });
    if (result.code === 0 || call.okCodes?.includes(result.code)) return result;
    const command = `git ${call.args.slice(0, 3).join(" ")}`;
    if (result.timedOut) {
      throw new SourceError(`${command} was stopped: over the time limit (${this.#options.timeoutMs} ms)`);
    }
    throw new SourceError(`${command} failed (exit ${result.code}): ${result.stderr.trim() || "no message"}`);
  }

  #env(call: GitCall): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    // Nothing from a parent git (GIT_DIR, GIT_CONFIG_PARAMETERS, ...) leaks in; traces may.
    for (const [key, value] of Object.entries(process.env)) {
      if (key.startsWith("GIT_") && !key.startsWith("GIT_TRACE")) continue;
      if (key === "SSH_ASKPASS") continue;
      env[key] = value;
    }
    const fileAllowed = call.local || (call.network !== undefined && this.#options.allowFileUrls);
    const config: [string, string][] = [
      ["core.hooksPath", "/dev/null"],
      ["protocol.allow", "never"],
      ["protocol.https.allow", "always"],
      // The URLs were checked: http only ever names the configured GitHub Enterprise host.
      ["protocol.http.allow", this.#options.allowsHttp ? "always" : "never"],
      ["protocol.ext.allow", "never"],
      ["protocol.file.allow", fileAllowed ? "always" : "never"],
      ["credential.helper", ""],
      ["fetch.recurseSubmodules", "false"],
      ["submodule.recurse", "false"],
      ["gc.autoDetach", "false"],
      ["advice.detachedHead", "false"],
      ["init.defaultBranch", "main"],
    ];
    const token = call.network?.token;
    if (call.network && token) {
      // Scoped to the requested repository's host: a submodule (or redirect) elsewhere never sees it.
      config.push([`http.${call.network.origin}.extraheader`, `AUTHORIZATION: basic ${basicCredential(token)}`]);
    }
    config.forEach(([key, value], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = key;
      env[`GIT_CONFIG_VALUE_${i}`] = value;
    });
    env.GIT_CONFIG_COUNT = String(config.length);
    // The host's own git config (credential helpers, url rewrites) plays no part.
    env.GIT_CONFIG_NOSYSTEM = "1";
    env.GIT_CONFIG_GLOBAL = "/dev/null";
    env.GIT_TERMINAL_PROMPT = "0";
    env.GCM_INTERACTIVE = "never";
    // Submodule paths come from the repository: never pathspec magic.
    env.GIT_LITERAL_PATHSPECS = "1";
    // GIT_TRACE_CURL, if an operator sets it, must not print the header.
    env.GIT_TRACE_REDACT = "1";
    env.LC_ALL = "C";
    return env;
  }
}

/** `error` with the token, plain or as the header's credential, replaced by `***`. */
export function redactToken(error: unknown, token: string | null): unknown {
  if (!token || !(error instanceof Error)) return error;
  const basic = basicCredential(token);
  if (!error.message.includes(token) && !error.message.includes(basic)) return error;
  return new SourceError(error.message.replaceAll(token, "***").replaceAll(basic, "***"));
}

/** The token as the Basic credential GitHub takes it in. */
function basicCredential(token: string): string {
  return Buffer.from(`x-access-token:${token}`).toString("base64");
}
