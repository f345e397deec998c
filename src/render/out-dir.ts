import fs from "node:fs";
import path from "node:path";
import { OutputPathError } from "../errors.ts";

/**
 * Kernel pseudo-filesystems (statfs magic numbers): writing there either fails oddly or never ends
 * (Node's recursive mkdir retries forever under /proc).
 */
const PSEUDO_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, "proc"],
  [0x62656572, "sysfs"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0x73636673, "securityfs"],
  [0x6165676c, "pstore"],
  [0xcafe4a11, "bpf"],
  [0x1cd1, "devpts"],
]);

/** Top-level folders that hold devices and kernel state, never rendered files. */
const SYSTEM_ROOTS = ["/proc", "/sys", "/dev"];

function within(dir: string, root: string): boolean {
  return dir === root || dir.startsWith(`${root}${path.sep}`);
}

/** The folder itself when it exists, or its nearest existing ancestor. */
function nearestExisting(dir: string): { at: string; stat: fs.Stats } {
  let at = dir;
  for (;;) {
    try {
      return { at, stat: fs.statSync(at) };
    } catch {
      const parent = path.dirname(at);
      if (parent === at) throw new OutputPathError(`--out ${dir}: no part of this path exists`);
      at = parent;
    }
  }
}

/**
 * Checks that `outDir` is, or can be created as, a writable folder on an ordinary filesystem, before
 * anything is written. Throws OutputPathError saying what is wrong.
 */
export function checkOutDir(outDir: string): void {
  const dir = path.resolve(outDir);
  const fail = (why: string): never => {
    throw new OutputPathError(`--out ${outDir}: ${why}`);
  };
  const systemRoot = SYSTEM_ROOTS.find((root) => process.platform !== "win32" && within(dir, root));
  if (systemRoot !== undefined)
    fail(`lies under ${systemRoot}, which holds kernel state and devices; give an ordinary folder`);
  const { at, stat } = nearestExisting(dir);
  if (!stat.isDirectory()) {
    fail(
      at === dir
        ? "is a file, or lies under one; give a directory"
        : `lies under ${at}, which is a file; give a directory`,
    );
  }
  try {
    const type = fs.statfsSync(at).type;
    const pseudo = PSEUDO_FILESYSTEMS.get(type);
    if (pseudo !== undefined) fail(`lies on the ${pseudo} pseudo-filesystem; give an ordinary folder`);
  } catch (error) {
    if (error instanceof OutputPathError) throw error;
    // statfs is not available everywhere; the write itself reports what remains.
  }
  try {
    fs.accessSync(at, fs.constants.W_OK);
  } catch {
    fail(at === dir ? "is not writable" : `cannot be created: ${at} is not writable`);
  }
}
