#!/usr/bin/env bash
# The package as a user gets it: pack the checkout (prepack builds it), install the tarball into a
# fresh project, import it (ESM and require), run the bin, lint the package (publint), type-check a
# strict user file against the shipped .d.ts, and run the CPU examples against the installed copy.
# Dependencies come from the local npm cache where they are there (--prefer-offline).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/dwconv-package-XXXXXX")"
trap 'rm -rf "$work"' EXIT
export DWCONV_JIT_CACHE_DIR="$work/cache" # the examples and doctor leave nothing in the user cache
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

step "pack"
cd "$repo"
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
[ -f "$tarball" ] || fail "npm pack wrote no tarball"
listing="$(tar -tzf "$tarball")"
for f in package/dist/index.js package/dist/index.d.ts package/dist/cli/main.js package/LICENSE package/README.md \
         package/bench/torch_dwconv.py package/templates/cuda/dwconv.cu.hbs package/precompile.json; do
  grep -qx "$f" <<<"$listing" || fail "the tarball lacks ${f#package/}"
done
if grep -q '\.map$' <<<"$listing"; then fail "the tarball ships source maps without their sources"; fi
echo "$(wc -l <<<"$listing") files in $(basename "$tarball")"

step "install into a fresh project"
project="$work/project"
mkdir -p "$project"
cd "$project"
printf '{ "name": "dwconv-jit-user", "version": "1.0.0", "private": true, "type": "module" }\n' > package.json
npm install --prefer-offline --no-audit --no-fund --silent "$tarball"
installed="$project/node_modules/dwconv-jit"
version="$(node -p "require('$installed/package.json').version")"

step "import (ESM)"
node --input-type=module -e "
  const m = await import('dwconv-jit');
  for (const name of ['compile', 'build', 'Tensor', 'Kernel', 'DwconvError', 'runDoctor']) if (!m[name]) throw new Error('missing export ' + name);
  if (m.VERSION !== '$version') throw new Error('VERSION ' + m.VERSION);
  console.log('ok: ' + Object.keys(m).length + ' exports');"

step "require (CommonJS, through require(esm) on Node >= 20.19 / 22.12)"
node -e "
  const [major, minor] = process.versions.node.split('.').map(Number);
  const supported = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
  try {
    const m = require('dwconv-jit');
    if (typeof m.compile !== 'function') throw new Error('require gave no compile()');
    console.log('ok: require works on Node ' + process.versions.node);
  } catch (err) {
    if (supported || err.code !== 'ERR_REQUIRE_ESM') throw err;
    console.log('ok: Node ' + process.versions.node + ' has no require(esm); ERR_REQUIRE_ESM as the README says');
  }"

step "bin"
[ "$(npx --no-install dwconv-jit --version)" = "$version" ] || fail "dwconv-jit --version is not $version"
set +e
doctor="$(npx --no-install dwconv-jit doctor --json)"
code=$?
set -e
[ "$code" -le 1 ] || fail "doctor exited $code"
node -e "const r = JSON.parse(process.argv[1]); if (!Array.isArray(r.checks)) process.exit(1); console.log('ok: doctor usable=' + r.usable + ', ' + r.checks.length + ' checks')" "$doctor"

step "publint"
"$repo/node_modules/.bin/publint" --strict "$installed"

step "tsc --strict over user files"
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "strict": true, "noEmit": true, "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
    "skipLibCheck": false, "types": [], "typeRoots": [] }, "files": ["user.ts"] }
JSON
cat > user.ts <<'TS'
import { compile, DwconvError, type SpecInput } from 'dwconv-jit';
const spec: SpecInput = { kernelSize: [3, 5], padding: 'same', dtype: 'float16', activation: 'relu6', pointwise: { outChannels: 32 } };
export async function main(): Promise<number[]> {
  try {
    const k = await compile(spec, { target: 'cpu' });
    return k.outputShape([1, 16, 8, 8]);
  } catch (e) {
    if (e instanceof DwconvError && e.code === 'ERR_DWCONV_NO_GPU') return [];
    throw e;
  }
}
TS
tsc() { node "$repo/node_modules/typescript/bin/tsc" "$@"; }
# skipLibCheck off: the shipped declarations must check on their own. @types/node comes from the repo.
sed -i "s|\"types\": \[\], \"typeRoots\": \[\]|\"types\": [\"node\"], \"typeRoots\": [\"$repo/node_modules/@types\"]|" tsconfig.json
tsc -p . && echo "ok: a correct user file compiles"
printf "import { compile } from 'dwconv-jit';\nawait compile({ kernelSize: 3, paddding: 1 });\n" > user.ts
if out="$(tsc -p . 2>&1)"; then fail "a misspelled spec field compiled"; fi
grep -q "paddding" <<<"$out" || fail "tsc failed, but not on the misspelled field: $out"
echo "ok: a misspelled spec field is a type error"

step "CPU examples against the installed package"
cp "$repo"/examples/*.mjs "$project/"
node "$project/run-cpu-examples.mjs"

printf '\npackage check passed\n'
