/**
 * Runs a restore in its own process and kills itself (SIGKILL, like
 * kill -9) right after step `killAt`, so tests can see what each crash
 * point leaves on disk. Usage: `restore_child.ts FILE DATA_DIR STEP`.
 *
 * @module
 */
import { restoreBackup } from "../../kernel/services/backup/restore.ts";

const [file, dataDir, killAt] = Deno.args;
await restoreBackup({
  file,
  dataDir,
  onStep: (step) => {
    if (step === killAt) Deno.kill(Deno.pid, "SIGKILL");
  },
});
