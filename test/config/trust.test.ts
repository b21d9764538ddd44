/** The decisions a commit's trust settings make (trust.ts): whether a fork's commit is built, and whether a build reaches the network. */
import { describe, expect, test } from "vitest";
import { buildNetwork, forkAdmission } from "../../src/config/trust.ts";

describe("forkAdmission", () => {
  test.each([
    { fork_prs: "approve", fork: true, admission: "approval" },
    { fork_prs: "run", fork: true, admission: "build" },
    { fork_prs: "skip", fork: true, admission: "none" },
    // The repository's own commits are built whatever fork_prs says.
    { fork_prs: "approve", fork: false, admission: "build" },
    { fork_prs: "skip", fork: false, admission: "build" },
  ] as const)("fork_prs: $fork_prs, fork $fork: $admission", ({ fork_prs, fork, admission }) => {
    expect(forkAdmission({ fork_prs }, fork)).toBe(admission);
  });
});

describe("buildNetwork", () => {
  test.each([
    { network: true, fork: false, reaches: true },
    { network: false, fork: false, reaches: false },
    // A fork never gets the network, whatever its config (or the default branch's) says.
    { network: true, fork: true, reaches: false },
  ])("network: $network, fork $fork: $reaches", ({ network, fork, reaches }) => {
    expect(buildNetwork({ network }, fork)).toBe(reaches);
  });
});
