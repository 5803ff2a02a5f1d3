#!/usr/bin/env node
// The `lanes` command: the CLI's compiled JavaScript (`npm run build`, run by `npm ci` in this repository).

// The AWS SDK for JavaScript v3 warns, in every process that creates a client under Node < 22, that its releases
// after the first week of January 2027 need Node 22. ecs-lanes pins SDK releases that support Node 20, and says so
// once in docs/cli.md ("Node versions"); repeated on every command it would only bury the command's own output.
// Only that warning of this process is dropped: the environment of the services the CLI starts is not changed.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const text = typeof warning === 'string' ? warning : warning?.message;
  if (typeof text === 'string' && text.startsWith('NodeVersionSupportWarning')) return;
  emitWarning(warning, ...rest);
};

const [{ main }, { endQuietlyOnClosedPipe }] = await Promise.all([
  import('../dist/main.js'),
  import('../dist/output.js'),
]);
// `lanes ... | head -2`: once the reader is gone, the command ends quietly (exit 0), as other CLIs do.
endQuietlyOnClosedPipe(process.stdout);
process.exitCode = await main(process.argv);
