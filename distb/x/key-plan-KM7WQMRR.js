import {
  cacheRootOf,
  cpuIdentity,
  keyPartsFor,
  plan,
  sourceShaOf
} from "./chunk-OMQMVV7G.js";
import "./chunk-C5KQE6PT.js";
import "./chunk-2ZOB4GNT.js";
import "./chunk-A22IQ6JN.js";
import "./chunk-C5DDTWDA.js";
import "./chunk-R3WEWIUB.js";
import "./chunk-X43GYYD5.js";
import "./chunk-CIU4BLIU.js";
import "./chunk-UGFPPU7J.js";
import "./chunk-3MZWLH6H.js";
export {
  cacheRootOf,
  cpuIdentity,
  keyPartsFor,
  plan,
  sourceShaOf
};
