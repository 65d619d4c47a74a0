import {
  compileTuned,
  recordedChoice,
  tuningParts
} from "./chunk-CP4ECJ27.js";
import "./chunk-TUE6V4JX.js";
import "./chunk-M7LZU4D6.js";
import "./chunk-CPKG6YAQ.js";
import "./chunk-OMQMVV7G.js";
import "./chunk-C5KQE6PT.js";
import "./chunk-2ZOB4GNT.js";
import "./chunk-IISSFHLL.js";
import "./chunk-56WR2VLD.js";
import "./chunk-ERIKVZX6.js";
import "./chunk-A22IQ6JN.js";
import "./chunk-C5DDTWDA.js";
import "./chunk-N5HG6547.js";
import "./chunk-2MUWQKOX.js";
import "./chunk-Z4MKRN3J.js";
import "./chunk-63VYGLLB.js";
import "./chunk-6BRGTZ7M.js";
import "./chunk-J66XVRM2.js";
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
  compileTuned,
  recordedChoice,
  tuningParts
};
