/**
 * Rules files on disk the way Falco 0.44.1 reads them: a folder gives the regular files directly in
 * it whose names end in `.yaml` or `.yml`, sorted by name (byte order), never its subfolders; a
 * file's bytes must be UTF-8, and a leading byte-order mark is allowed.
 */
import { readdirSync, readFileSync, statSync, type Dirent } from "node:fs";
import path from "node:path";
import { FalcoStackError } from "../../errors.ts";

/** A rules file that cannot be read as text; the message names `file:line:col` when it can. */
export class RulesFileError extends FalcoStackError {
  constructor(
    message: string,
    /** The reason alone, for a caller that names the path itself. */
    readonly reason: string = message,
    /** Where in the file, when the problem is in its content (1-based). */
    readonly position?: { line: number; col: number },
  ) {
    super(message);
  }
}

const RULES_FILE = /\.ya?ml$/;

/** Whether Falco loads a file of this name from a rules folder. */
export function isRulesFileName(name: string): boolean {
  return RULES_FILE.test(name);
}

/** An entry of a rules folder that Falco does not load, and why. */
export interface SkippedEntry {
  path: string;
  reason: string;
}

export interface RulesFolderListing {
  /** Full paths of the files Falco loads, in its order. */
  files: string[];
  skipped: SkippedEntry[];
}

/** Byte order, as Falco sorts the paths of a folder (std::string comparison). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The files Falco loads from a folder (not recursive), and the entries it skips. */
export function listRulesFolder(folder: string): RulesFolderListing {
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    const reason = describeFsError(error);
    throw new RulesFileError(`cannot read folder ${folder}: ${reason}`, reason);
  }
  const files: string[] = [];
  const skipped: SkippedEntry[] = [];
  for (const entry of [...entries].sort((a, b) => byteOrder(a.name, b.name))) {
    const full = path.join(folder, entry.name);
    const isFile = entry.isFile() || (entry.isSymbolicLink() && statOrUndefined(full)?.isFile() === true);
    const isFolder =
      entry.isDirectory() || (entry.isSymbolicLink() && statOrUndefined(full)?.isDirectory() === true);
    if (isFolder) {
      skipped.push({
        path: full,
        reason: "is a folder; Falco does not read the folders inside a rules folder",
      });
    } else if (!isFile) {
      skipped.push({ path: full, reason: "is not a regular file" });
    } else if (!isRulesFileName(entry.name)) {
      skipped.push({ path: full, reason: "does not end in .yaml or .yml" });
    } else {
      files.push(full);
    }
  }
  return { files, skipped };
}

function statOrUndefined(target: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(target);
  } catch {
    return undefined;
  }
}

/** A path given as rules: a file is loaded as it is (any name), a folder with Falco's folder rules. */
export function listRulesPath(target: string): RulesFolderListing {
  const stats = statOrUndefined(target);
  if (!stats)
    throw new RulesFileError(`cannot read ${target}: no such file or folder`, "no such file or folder");
  if (stats.isDirectory()) return listRulesFolder(target);
  return { files: [target], skipped: [] };
}

/**
 * Reads a rules file as Falco would: strict UTF-8 (an invalid byte is an error at its line and
 * column, never replaced), the text returned exactly as on disk, byte-order mark included.
 */
export function readRulesText(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const reason = describeFsError(error);
    throw new RulesFileError(`cannot read rules file ${file}: ${reason}`, reason);
  }
  return decodeUtf8(bytes, file);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 strictly; the error names the first invalid byte as `file:line:col`. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const before = new TextDecoder("utf-8", { ignoreBOM: false }).decode(bytes.subarray(0, offset));
    const lines = before.split("\n");
    const line = lines.length;
    const col = (lines.at(-1) ?? "").length + 1;
    const byte = (bytes[offset] ?? 0).toString(16).padStart(2, "0");
    const reason = `invalid UTF-8 (byte 0x${byte} at offset ${offset}); save the file as UTF-8`;
    throw new RulesFileError(`${file}:${line}:${col}: ${reason}`, reason, { line, col });
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index] as number;
    let length: number;
    let min: number;
    if (lead < 0x80) {
      index++;
      continue;
    } else if (lead >= 0xc2 && lead <= 0xdf) [length, min] = [2, 0x80];
    else if (lead >= 0xe0 && lead <= 0xef) [length, min] = [3, 0x800];
    else if (lead >= 0xf0 && lead <= 0xf4) [length, min] = [4, 0x10000];
    else return index;
    let codePoint = lead & (0xff >> (length + 1));
    for (let k = 1; k < length; k++) {
      const next = bytes[index + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return index;
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (codePoint < min || (codePoint >= 0xd800 && codePoint <= 0xdfff) || codePoint > 0x10ffff) return index;
    index += length;
  }
  return bytes.length;
}

/** Falco's YAML reader accepts a leading byte-order mark; the YAML parser is given the text after it. */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === "ENOENT") return "no such file or folder";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a folder";
  return error instanceof Error ? error.message : String(error);
}

/** One rules file the stack ships: the ConfigMap key is its file name, the content is unchanged. */
export interface StackRuleFile {
  /** File name: the ConfigMap key, so the file name under /etc/falco/rules.d. */
  key: string;
  /** Absolute path on disk. */
  path: string;
  content: string;
}

/** A problem with one entry of `falco-stack:rules.files`. */
export interface StackRuleFilesIssue {
  /** Index of the entry in `rules.files`. */
  entry: number;
  message: string;
}

export interface StackRuleFiles {
  /** Sorted by file name: the order Falco loads them from the rules.d folder they are mounted as. */
  files: StackRuleFile[];
  /** Folder entries Falco would not load, so nobody wonders why a rule is missing. */
  skipped: SkippedEntry[];
  issues: StackRuleFilesIssue[];
}

/**
 * The files `falco-stack:rules.files` names (files or folders relative to `root`), with Falco's
 * folder semantics. They ship as one ConfigMap mounted as a folder, so a file must end in .yaml
 * or .yml and two files cannot share a name.
 */
export function collectStackRuleFiles(entries: readonly string[], root: string): StackRuleFiles {
  const issues: StackRuleFilesIssue[] = [];
  const skipped: SkippedEntry[] = [];
  const byKey = new Map<string, StackRuleFile>();
  entries.forEach((entry, index) => {
    const absolute = path.resolve(root, entry);
    const stats = statOrUndefined(absolute);
    if (!stats) {
      issues.push({ entry: index, message: `"${entry}" does not exist (paths are relative to ${root})` });
      return;
    }
    let files: string[];
    if (stats.isDirectory()) {
      try {
        const listing = listRulesFolder(absolute);
        files = listing.files;
        skipped.push(...listing.skipped);
      } catch (error) {
        issues.push({ entry: index, message: error instanceof Error ? error.message : String(error) });
        return;
      }
    } else if (!isRulesFileName(absolute)) {
      issues.push({
        entry: index,
        message: `"${entry}" is not a .yaml or .yml file; Falco loads only those from rules.d`,
      });
      return;
    } else files = [absolute];
    for (const file of files) {
      const name = path.basename(file);
      const existing = byKey.get(name);
      if (existing && existing.path !== file) {
        issues.push({
          entry: index,
          message: `two rule files are both named ${name} (${existing.path}, ${file}); rename one`,
        });
        continue;
      }
      try {
        byKey.set(name, { key: name, path: file, content: readRulesText(file) });
      } catch (error) {
        issues.push({ entry: index, message: error instanceof Error ? error.message : String(error) });
      }
    }
  });
  const files = [...byKey.values()].sort((a, b) => byteOrder(a.key, b.key));
  return { files, skipped, issues };
}
