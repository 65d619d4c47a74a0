// Which programs the tests may run, found as the library finds them; no probing beyond a file check.
import { accessSync, constants } from 'node:fs';
import { cxxCandidates } from '../../src/compiler/toolchain.js';
import { readEnvironment } from '../../src/env.js';

/** Whether a path names a file this process may run. */
export const executable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The C++ compiler the library would use (undefined: none, and the toolchain tests skip). */
export const cxxPath = cxxCandidates(readEnvironment()).find(executable);
