#!/usr/bin/env node
// The version check runs before anything else is loaded: on an older Node the
// dependencies fail with errors that do not say why.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `heimdall-build needs Node.js 22.12 or newer; this is ${process.version}. ` +
      "`bash .ci/setup-node.sh` installs Node 24 from the npm registry and prints the PATH to use.\n",
  );
  process.exit(2);
}
const { runCli } = await import("./program.ts");
process.exitCode = await runCli(process.argv);
