#!/usr/bin/env bash
# Builds the library as it was at a git revision into a folder of its own, beside the working tree's
# build, so that two generators can be timed side by side in one GPU session:
#   scripts/build-revision.sh REV DIR
#   (cd DIR && node dist/cli/main.js bench --filter reference --no-torch --json old.json)
# DIR gets that revision's dist/, templates/ and package.json, and a relative link to this checkout's
# node_modules (the revision's dependencies must be the ones installed here): a DIR in an ignored
# folder of the checkout travels with it to a GPU machine (a device run's carry) and still finds them.
# Nothing in the working tree changes; the temporary worktree is removed on exit.
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: scripts/build-revision.sh REV DIR" >&2
  exit 2
fi
rev="$1" out="$2"
root="$(git rev-parse --show-toplevel)"
commit="$(git -C "$root" rev-parse --verify --quiet "$rev^{commit}")" || { echo "not a revision: $rev" >&2; exit 2; }
if [[ -e "$out" && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
  echo "$out exists and is not empty" >&2
  exit 2
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
tree="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"' EXIT
git -C "$root" worktree add --detach --force --quiet "$tree" "$commit"
ln -s "$root/node_modules" "$tree/node_modules"
(cd "$tree" && "$root/node_modules/.bin/tsc" -p tsconfig.build.json --outDir "$out/dist")
cp -r "$tree/templates" "$tree/package.json" "$out/"
ln -s "$(realpath --relative-to="$out" "$root/node_modules")" "$out/node_modules"
echo "built $commit into $out"
