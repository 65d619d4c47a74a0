import {
  RECENT_MS,
  entryBytes,
  pruneCache
} from "./chunk-IISSFHLL.js";
import "./chunk-56WR2VLD.js";
import "./chunk-ERIKVZX6.js";
import "./chunk-A22IQ6JN.js";
import "./chunk-C5DDTWDA.js";
import {
  parseDuration,
  parseSize
} from "./chunk-2QCMHHMR.js";
import "./chunk-TM5KGFNG.js";
import "./chunk-UGFPPU7J.js";
import "./chunk-3MZWLH6H.js";
export {
  RECENT_MS,
  entryBytes,
  parseDuration,
  parseSize,
  pruneCache
};
