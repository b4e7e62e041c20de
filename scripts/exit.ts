import type { CommanderError } from 'commander';

/**
 * Ends the process with `code` once everything written to stdout and stderr has been taken by
 * them. `process.exit()` at once drops what is still queued for a pipe: `npm run import … | tee log`
 * showed the first thousand or so of 10,000 rejected rows and never the summary.
 */
export function exitWhenWritten(code: number): void {
  let open = 2;
  const written = () => {
    open -= 1;
    if (open === 0) process.exit(code);
  };
  process.stdout.write('', written);
  process.stderr.write('', written);
}

/** Every command's commander `exitOverride`: `--help` exits 0, wrong usage 2 (README, "Commands"). */
export const exitOnWrongUsage = (error: CommanderError): never => process.exit(error.exitCode === 0 ? 0 : 2);
