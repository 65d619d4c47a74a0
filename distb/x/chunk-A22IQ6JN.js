// dist/cache/trust.js
import { constants } from "node:fs";
import { lstat, open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
function trustedOwner(uid) {
  const me = process.getuid?.();
  return me === void 0 || uid === me || uid === 0;
}
function folderProblem(st, what) {
  if (st.isSymbolicLink())
    return `${what} is a symlink`;
  if (!st.isDirectory())
    return `${what} is not a directory`;
  if (!trustedOwner(st.uid))
    return `${what} is owned by uid ${st.uid}, neither this user nor root`;
  if ((st.mode & 18) !== 0)
    return `${what} is writable by group or others (mode ${(st.mode & 511).toString(8)})`;
  return void 0;
}
function fileProblem(st, what) {
  if (st.isSymbolicLink())
    return `${what} is a symlink`;
  if (!st.isFile())
    return `${what} is not a regular file`;
  if (st.nlink > 1)
    return `${what} has ${st.nlink} hard links`;
  if (!trustedOwner(st.uid))
    return `${what} is owned by uid ${st.uid}, neither this user nor root`;
  if ((st.mode & 18) !== 0)
    return `${what} is writable by group or others (mode ${(st.mode & 511).toString(8)})`;
  return void 0;
}
async function chainProblem(dir) {
  let at = resolve(dir);
  for (; ; ) {
    const st = await lstat(at).catch(() => void 0);
    if (!st)
      return `${at} does not exist`;
    if (st.isSymbolicLink())
      return `${at} is a symlink`;
    if (!st.isDirectory())
      return `${at} is not a directory`;
    if (!trustedOwner(st.uid))
      return `${at} is owned by uid ${st.uid}, neither this user nor root`;
    const stickyRoot = (st.mode & 512) !== 0 && st.uid === 0 && at !== resolve(dir);
    if ((st.mode & 18) !== 0 && !stickyRoot)
      return `${at} is writable by group or others (mode ${(st.mode & 4095).toString(8)})`;
    const parent = dirname(at);
    if (parent === at)
      return void 0;
    at = parent;
  }
}
async function readTrusted(path, what, maxBytes) {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = err.code;
    if (code === "ENOENT")
      return `${what} is missing`;
    if (code === "ELOOP" || code === "EMLINK")
      return `${what} is a symlink`;
    if (code === "EISDIR")
      return `${what} is not a regular file`;
    return `${what} cannot be opened (${code ?? String(err)})`;
  }
  try {
    const st = await handle.stat();
    const problem = fileProblem(st, what);
    if (problem)
      return problem;
    if (st.size > maxBytes)
      return `${what} has ${st.size} bytes, more than the ${maxBytes} allowed`;
    const bytes = await handle.readFile();
    if (bytes.length !== st.size)
      return `${what} changed while it was read`;
    return { bytes, stat: st };
  } finally {
    await handle.close();
  }
}
async function sameFile(path, before) {
  const now = await lstat(path).catch(() => void 0);
  return now !== void 0 && now.isFile() && now.dev === before.dev && now.ino === before.ino && now.size === before.size && now.mtimeMs === before.mtimeMs && now.ctimeMs === before.ctimeMs;
}

export {
  trustedOwner,
  folderProblem,
  fileProblem,
  chainProblem,
  readTrusted,
  sameFile
};
