// dist/debug.js
import { debuglog } from "node:util";
var trace = debuglog("dwconv-jit");
var debugEnabled = trace.enabled;
function debug(format, ...args) {
  if (debugEnabled)
    trace(format, ...args);
}
var shortKey = (key) => key.slice(0, 12);

export {
  debug,
  shortKey
};
