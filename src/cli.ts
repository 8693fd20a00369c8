import { Command } from 'commander';
import { VERSION } from './version.js';

/** Builds the `floe` command line. Subcommands are added by the parts that own them. */
export function buildCli(): Command {
  const program = new Command();
  program
    .name('floe')
    .description('Keeps Apache Iceberg tables in step with Kafka topics, exactly once.')
    .version(VERSION, '-v, --version', 'print the Floe version')
    .showHelpAfterError();
  return program;
}
