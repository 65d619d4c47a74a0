// dist/target.js
var TARGETS = ["cuda", "cpu"];
function isTarget(value) {
  return TARGETS.includes(value);
}

export {
  isTarget
};
