import {
  buildArtifact,
  expectationFor,
  findCached,
  fromLayers
} from "./chunk-TUE6V4JX.js";
import "./chunk-M7LZU4D6.js";
import {
  baselineOf
} from "./chunk-CPKG6YAQ.js";
import {
  cacheRootOf,
  cpuIdentity,
  plan
} from "./chunk-OMQMVV7G.js";
import {
  defaultCacheDir
} from "./chunk-C5KQE6PT.js";
import "./chunk-2ZOB4GNT.js";
import "./chunk-IISSFHLL.js";
import "./chunk-56WR2VLD.js";
import "./chunk-ERIKVZX6.js";
import "./chunk-A22IQ6JN.js";
import "./chunk-C5DDTWDA.js";
import "./chunk-HLZTAT3W.js";
import "./chunk-R3WEWIUB.js";
import "./chunk-X43GYYD5.js";
import "./chunk-CIU4BLIU.js";
import "./chunk-2QCMHHMR.js";
import "./chunk-TM5KGFNG.js";
import "./chunk-SMP3MV7C.js";
import "./chunk-UGFPPU7J.js";
import "./chunk-3MZWLH6H.js";
export {
  baselineOf,
  buildArtifact,
  cacheRootOf,
  cpuIdentity,
  defaultCacheDir,
  expectationFor,
  findCached,
  fromLayers,
  plan
};
