import {
  fileProblem
} from "./chunk-A22IQ6JN.js";
import {
  randomHex
} from "./chunk-C5DDTWDA.js";

// dist/cache/hint-file.js
import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { rename, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
function readHintFile(path, maxBytes) {
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (fileProblem(st, path) || st.size > maxBytes)
      return void 0;
    const bytes = readFileSync(fd);
    return bytes.length > maxBytes ? void 0 : bytes.toString("utf8");
  } catch {
    return void 0;
  } finally {
    if (fd !== void 0)
      closeSync(fd);
  }
}
async function writeHintFile(path, text) {
  const tmp = join(dirname(path), `${basename(path)}.${process.pid}.${randomHex(4)}`);
  try {
    await writeFile(tmp, text, { mode: 384, flag: "wx" });
    await rename(tmp, path);
  } catch {
    await unlink(tmp).catch(() => void 0);
  }
}

export {
  readHintFile,
  writeHintFile
};
