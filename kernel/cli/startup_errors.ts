/**
 * What `fazt serve` says when it cannot start: a data folder it cannot
 * use, a full disk, an address it cannot listen on. Each OS error becomes
 * a `FaztError` with one sentence naming the folder or port and what to do,
 * instead of a stack trace and "Something went wrong inside fazt".
 *
 * @module
 */
import { join } from "node:path";
import { FaztError } from "../core/errors.ts";

/** The kinds of OS failure startup explains. */
type Failure =
  | "denied"
  | "read_only"
  | "full"
  | "not_folder"
  | "missing"
  | "in_use"
  | "not_available"
  | "no_such_host";

/** Error numbers (Linux and macOS) and Node-style codes of each failure. */
const ERRNOS: Record<number, Failure> = {
  1: "denied", // EPERM
  2: "missing", // ENOENT
  13: "denied", // EACCES
  17: "not_folder", // EEXIST: mkdir met a file
  20: "not_folder", // ENOTDIR
  28: "full", // ENOSPC
  30: "read_only", // EROFS
  48: "in_use", // EADDRINUSE (macOS)
  49: "not_available", // EADDRNOTAVAIL (macOS)
  98: "in_use", // EADDRINUSE (Linux)
  99: "not_available", // EADDRNOTAVAIL (Linux)
  122: "full", // EDQUOT
};

const CODES: Record<string, Failure> = {
  EPERM: "denied",
  EACCES: "denied",
  ENOENT: "missing",
  EEXIST: "not_folder",
  ENOTDIR: "not_folder",
  ENOSPC: "full",
  EDQUOT: "full",
  EROFS: "read_only",
  EADDRINUSE: "in_use",
  EADDRNOTAVAIL: "not_available",
};

/** Which failure `err` is, from its Deno class, code, OS error number or SQLite message. */
function failureOf(err: unknown): Failure | undefined {
  if (err instanceof Deno.errors.AddrInUse) return "in_use";
  if (err instanceof Deno.errors.AddrNotAvailable) return "not_available";
  if (err instanceof Deno.errors.PermissionDenied) return "denied";
  if (err instanceof Deno.errors.NotADirectory || err instanceof Deno.errors.AlreadyExists) {
    return "not_folder";
  }
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string" && CODES[code]) return CODES[code];
  const message = err instanceof Error ? err.message : String(err);
  const errno = /\(os error (\d+)\)/.exec(message);
  if (errno && ERRNOS[Number(errno[1])]) return ERRNOS[Number(errno[1])];
  if (/database or disk is full|SQLITE_FULL/i.test(message)) return "full";
  if (/failed to lookup address|Name or service not known|nodename nor servname/i.test(message)) {
    return "no_such_host";
  }
  return undefined;
}

/** The sentence for a data folder that cannot be used because of `failure`. */
function dataFolderError(dir: string, failure: Failure, cause: unknown): FaztError | undefined {
  const options = { cause, details: { data: dir } };
  switch (failure) {
    case "denied":
      return new FaztError(
        "forbidden",
        `fazt may not write to the data folder ${dir} (permission denied). Run fazt as the user that owns it, give it to this user (sudo chown -R "$USER" ${dir}), or choose another folder with --data.`,
        options,
      );
    case "read_only":
      return new FaztError(
        "forbidden",
        `The data folder ${dir} is on a read-only file system. Choose a writable folder with --data.`,
        options,
      );
    case "full":
      return new FaztError(
        "insufficient_storage",
        `The disk that holds the data folder ${dir} is full (no space left). Free some space, or choose a folder on another disk with --data.`,
        options,
      );
    case "not_folder":
      return new FaztError(
        "invalid_input",
        `The data folder ${dir} is not a folder (a file, or inside one, has that name). Give --data a folder; fazt creates it when it is missing.`,
        options,
      );
    case "missing":
      return new FaztError(
        "invalid_input",
        `The data folder ${dir} cannot be created there. Give --data a folder in a place you can write to.`,
        options,
      );
    default:
      return undefined;
  }
}

/**
 * Makes sure `dir` can be the data folder: creates it (mode 700) when
 * missing and writes and removes a small file in it, so that a folder
 * fazt cannot use is reported before anything listens.
 */
export async function checkDataFolder(dir: string): Promise<void> {
  try {
    const info = await Deno.stat(dir).catch((err) => {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    });
    if (info && !info.isDirectory) throw new Deno.errors.NotADirectory(dir);
    if (!info) await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const probe = join(dir, `.write-check-${Deno.pid}`);
    await Deno.writeFile(probe, new Uint8Array(4096));
    await Deno.remove(probe);
  } catch (err) {
    throw explainDataFolderError(err, dir);
  }
}

/**
 * The error to show for `err`, thrown while the kernel opened the data
 * folder `dir`: a full disk, a folder turned unwritable, or the error
 * itself when it is none of these.
 */
export function explainDataFolderError(err: unknown, dir: string): unknown {
  if (err instanceof FaztError) return err;
  const failure = failureOf(err);
  return (failure && dataFolderError(dir, failure, err)) ?? err;
}

/**
 * The error to show when listening on `host`:`port` (set by `flagName`)
 * failed, or the error itself when it is none of the known causes.
 */
export function explainListenError(
  err: unknown,
  where: { flagName: string; host: string; port: number },
): unknown {
  const { flagName, host, port } = where;
  const options = { cause: err, details: { host, port } };
  switch (failureOf(err)) {
    case "in_use":
      return new FaztError(
        "conflict",
        `Port ${port} is already in use on ${host} (another fazt, or another server). Stop what listens there, or choose another port with ${flagName}.`,
        options,
      );
    case "denied":
      return new FaztError(
        "forbidden",
        `fazt may not listen on port ${port} on ${host}: ports below 1024 need root or the capability (sudo setcap cap_net_bind_service=+ep "$(command -v fazt)"). Or choose a port from 1024 up with ${flagName}.`,
        options,
      );
    case "not_available":
      return new FaztError(
        "invalid_input",
        `fazt cannot listen on ${host}: no network interface of this machine has that address. Give --host an address of this machine (127.0.0.1, or 0.0.0.0 for all).`,
        options,
      );
    case "no_such_host":
      return new FaztError(
        "invalid_input",
        `fazt cannot listen on ${host}: no such host name. Give --host an address of this machine (127.0.0.1, or 0.0.0.0 for all).`,
        options,
      );
    default:
      return err;
  }
}
