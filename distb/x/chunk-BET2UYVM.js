import {
  generateCpu,
  generateCuda,
  normalizeVariant
} from "./chunk-6BRGTZ7M.js";
import {
  normalizeSpec
} from "./chunk-J66XVRM2.js";
import {
  SpecError
} from "./chunk-3MZWLH6H.js";

// dist/codegen/generate.js
function generate(spec, target, variant) {
  const checked = normalizeSpec(spec);
  if (target !== "cuda" && target !== "cpu")
    throw new SpecError("target", target, "'cuda' | 'cpu'");
  if (variant !== void 0 && target !== "cuda")
    throw new SpecError("variant", variant, "nothing: variants exist for target 'cuda' only");
  return target === "cuda" ? generateCuda(checked, variant === void 0 ? void 0 : normalizeVariant(checked, variant)) : generateCpu(checked);
}

export {
  generate
};
