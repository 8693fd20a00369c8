#!/usr/bin/env node
/** CLI entry: parse args, load config, start, wire shutdown. Nothing else. */
import { buildCli } from './cli.js';

await buildCli().parseAsync(process.argv);
