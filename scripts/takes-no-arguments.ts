import { Command } from 'commander';
import { exitOnWrongUsage } from './exit';

/**
 * For a command that takes no arguments (its settings are ONESOURCE_* variables): `--help` says what
 * it does and exits, and an argument it does not take is refused (exit 2) instead of ignored, so
 * `npm run gateway -- --help` does not start a gateway.
 */
export function takesNoArguments(name: string, description: string): void {
  new Command(name)
    .description(description)
    .addHelpText('after', '\nIts settings are ONESOURCE_* environment variables (README, "Settings").')
    .showHelpAfterError()
    .exitOverride(exitOnWrongUsage)
    .parse();
}
