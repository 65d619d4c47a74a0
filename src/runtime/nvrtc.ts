// Finds libnvrtc and asks its version; the NVRTC compiler path itself is a later issue (#5).
import { join } from 'node:path';
import koffi from 'koffi';
import type { Environment } from '../env.js';

export function nvrtcCandidates(env: Environment): string[] {
  const names = ['libnvrtc.so.13', 'libnvrtc.so.12', 'libnvrtc.so.11.2', 'libnvrtc.so'];
  const dirs = [env.cudaHome, '/usr/local/cuda'].filter((d): d is string => !!d).map((d) => join(d, 'lib64'));
  return [...names, ...dirs.flatMap((d) => names.map((n) => join(d, n)))];
}

/** The first libnvrtc that loads, with its version, or what was searched. */
export function probeNvrtc(env: Environment): { ok: true; path: string; version: string } | { ok: false; searched: string[] } {
  const searched = nvrtcCandidates(env);
  for (const path of searched) {
    try {
      const lib = koffi.load(path);
      const version = lib.func('int nvrtcVersion(_Out_ int* major, _Out_ int* minor)');
      const major: unknown[] = [0];
      const minor: unknown[] = [0];
      if ((version(major, minor) as number) === 0) return { ok: true, path, version: `${String(major[0])}.${String(minor[0])}` };
    } catch {
      // not this one
    }
  }
  return { ok: false, searched };
}
