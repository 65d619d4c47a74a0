import {
  DEFAULT_MAX_BUNDLE_BYTES,
  bundleKey,
  checkPortable,
  commitArtifacts,
  exportBundle,
  readBundle
} from "./chunk-NRNJJDDT.js";
import "./chunk-BET2UYVM.js";
import "./chunk-M7LZU4D6.js";
import "./chunk-56WR2VLD.js";
import "./chunk-ERIKVZX6.js";
import "./chunk-A22IQ6JN.js";
import "./chunk-C5DDTWDA.js";
import "./chunk-6BRGTZ7M.js";
import "./chunk-J66XVRM2.js";
import "./chunk-HLZTAT3W.js";
import "./chunk-X43GYYD5.js";
import "./chunk-TM5KGFNG.js";
import "./chunk-3MZWLH6H.js";
export {
  DEFAULT_MAX_BUNDLE_BYTES,
  bundleKey,
  checkPortable,
  commitArtifacts,
  exportBundle,
  readBundle
};
