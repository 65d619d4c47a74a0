import {
  differingParts
} from "./chunk-POKHW3XT.js";
import {
  commitArtifacts,
  readBundle,
  regenerate
} from "./chunk-NRNJJDDT.js";
import "./chunk-BET2UYVM.js";
import {
  buildArtifact
} from "./chunk-TUE6V4JX.js";
import "./chunk-M7LZU4D6.js";
import {
  baselineOf
} from "./chunk-CPKG6YAQ.js";
import {
  plan
} from "./chunk-OMQMVV7G.js";
import "./chunk-C5KQE6PT.js";
import "./chunk-2ZOB4GNT.js";
import "./chunk-IISSFHLL.js";
import {
  DiskCache
} from "./chunk-56WR2VLD.js";
import "./chunk-ERIKVZX6.js";
import "./chunk-A22IQ6JN.js";
import {
  sha256
} from "./chunk-C5DDTWDA.js";
import "./chunk-Z4MKRN3J.js";
import "./chunk-63VYGLLB.js";
import "./chunk-6BRGTZ7M.js";
import "./chunk-J66XVRM2.js";
import "./chunk-HLZTAT3W.js";
import "./chunk-R3WEWIUB.js";
import "./chunk-X43GYYD5.js";
import {
  readEnvironment
} from "./chunk-CIU4BLIU.js";
import "./chunk-2QCMHHMR.js";
import "./chunk-TM5KGFNG.js";
import "./chunk-SMP3MV7C.js";
import "./chunk-UGFPPU7J.js";
import {
  SpecError,
  ToolchainNotFoundError
} from "./chunk-3MZWLH6H.js";

// dist/tools/bundle-import.js
import { readFile } from "node:fs/promises";
async function importBundle(root, file, o = {}) {
  const learned = await baselineOf(root);
  const trusted = o.key !== void 0 || o.trustUnsigned === true;
  const { entries, signature } = await readBundle(file, {
    ...o.key ? { key: o.key } : {},
    ...o.maxBytes !== void 0 ? { maxBytes: o.maxBytes } : {},
    artifacts: trusted ? "load" : "hash",
    learned
  });
  if (trusted) {
    const r2 = await commitArtifacts(root, entries, learned);
    return { imported: r2.imported, present: r2.present, signature, artifacts: signature === "verified" ? "signed" : "sender", differing: [] };
  }
  const r = await rebuildAll(root, entries, readEnvironment(o.env));
  return { imported: r.imported, present: r.present, signature, artifacts: "rebuilt", differing: r.differing };
}
var partOf = (parts, name) => parts[name];
function optionsFor(entry, root, env) {
  const { parts } = entry.meta;
  if (parts.target === "cpu")
    return { env, cacheDir: root, precompiled: [] };
  const list = parts.arch.split("+");
  const archs = list.filter((a) => a !== "ptx");
  return { env, cacheDir: root, precompiled: [], archs, ptx: list.includes("ptx"), compiler: parts.compiler.kind === "nvrtc" ? "nvrtc" : "nvcc", ...archs[0] ? { deviceArch: archs[0] } : {} };
}
async function rebuildAll(root, entries, env) {
  const planned = [];
  for (const [i, entry] of entries.entries()) {
    const generated = regenerate(entry.meta);
    if (typeof generated === "string")
      throw new SpecError(`bundle.entries[${i}]`, entry.meta.key, `an entry this version can regenerate (${generated})`);
    const opts = optionsFor(entry, root, env);
    const local = await plan(generated, opts).catch((err) => {
      if (!(err instanceof ToolchainNotFoundError))
        throw err;
      throw new ToolchainNotFoundError(err.tool, err.searched, `${err.fix} An unsigned bundle is rebuilt from its sources by the local compiler; without one, import it signed (cache export --key-file, then cache import --key-file with the same key), or pass --trust-unsigned to trust its sender.`, { cause: err });
    });
    if (local.key !== entry.meta.key) {
      const differs = differingParts(local.parts, entry.meta.parts);
      throw new SpecError(`bundle.entries[${i}]`, entry.meta.key, `an entry this machine would build under the same key, to rebuild it from its source (its ${differs.join(", ")} ${differs.length === 1 ? "differs" : "differ"} from this machine's: ${differs.map((d) => `${d} ${JSON.stringify(partOf(entry.meta.parts, d))}, here ${JSON.stringify(partOf(local.parts, d))}`).join("; ")}); import it signed (--key-file) or pass --trust-unsigned to use the sender's artifact`);
    }
    planned.push({ entry, generated, opts });
  }
  const cache = await DiskCache.open(root);
  const committed = [];
  const differing = [];
  let present = 0;
  try {
    for (const { entry, generated, opts } of planned) {
      const artifact = await buildArtifact(generated, opts);
      if (artifact.key !== entry.meta.key)
        throw new Error("internal: a rebuild landed under another key than planned");
      if (artifact.origin === "compiled")
        committed.push(artifact.key);
      else
        present++;
      const here = artifact.meta?.artifactSha256 ?? sha256(await readFile(artifact.path));
      if (here !== entry.meta.artifactSha256)
        differing.push(artifact.key);
    }
  } catch (err) {
    for (const k of committed)
      await cache.remove(k).catch(() => void 0);
    throw err;
  }
  return { imported: committed.length, present, differing };
}
export {
  importBundle
};
