#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { VERSION } from '../index.js';
import { registerCacheCommands } from './cache.js';
import { EXIT, USAGE_ERROR_CODE, wantsJson } from './common.js';
import { registerRunCommands } from './run-commands.js';

const json = wantsJson(process.argv.slice(2));
let parserMessage = '';

// Set before the subcommands are added: commander copies these settings into each of them.
const program = new Command('dwconv-jit')
  .description('Generate, JIT-compile, cache and run specialized depthwise conv kernels')
  .version(VERSION)
  .showHelpAfterError(!json)
  .exitOverride()
  // With --json a parse error is printed once, as JSON, below; without it commander prints it as usual.
  .configureOutput({ writeErr: (text) => (json ? (parserMessage += text) : process.stderr.write(text)) });

registerRunCommands(program);
registerCacheCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  // --help and --version end through here too, with exit code 0.
  if (err.exitCode === 0) process.exitCode = EXIT.ok;
  else {
    if (json) {
      const message = (parserMessage || err.message).trim().replace(/^error: /, '');
      process.stdout.write(`${JSON.stringify({ error: { name: 'UsageError', code: USAGE_ERROR_CODE, parserCode: err.code, message } }, null, 2)}\n`);
    }
    process.exitCode = EXIT.usage;
  }
}
