#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../version.js';
import { registerCacheCommands } from './cache.js';
import { EXIT } from './common.js';
import { registerRunCommands } from './run-commands.js';

const program = new Command('dwconv-jit')
  .description('Generate, JIT-compile, cache and run specialized depthwise conv kernels')
  .version(PACKAGE_VERSION)
  .showHelpAfterError()
  .exitOverride();

registerRunCommands(program);
registerCacheCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  else throw err;
}
