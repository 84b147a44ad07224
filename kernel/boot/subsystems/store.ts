/**
 * The store subsystem: the data folder (first finishing a restore that a
 * crash cut short, see `services/backup/restore.ts`), its temp folder
 * (emptied at every boot, so a crashed upload leaves nothing), the kernel
 * database with its migrations, and its vacuum (free pages given back in
 * small steps after deletes and on a slow periodic check). Installed first,
 * closed last: its shutdown writes every
 * buffered counter, then closes the database.
 *
 * @module
 */
import { join } from "node:path";
import { type Database, openDatabase } from "../../store/database.ts";
import { createVacuum, type Vacuum } from "../../services/maintenance/vacuum.ts";
import { KERNEL_MIGRATIONS } from "../../store/schema.ts";
import { KERNEL_DB_FILE } from "../config.ts";
import { finishInterruptedRestore } from "../../services/backup/restore.ts";
import type { Subsystem } from "../subsystem.ts";

declare module "../subsystem.ts" {
  interface Parts {
    /** The kernel database (a read connection and a serialized writer). */
    db: Database;
    /** `<data>/tmp`, for uploads in flight. */
    tmpDir: string;
    /** When this kernel started (ms). */
    startedAt: number;
    /** Gives the kernel database's free pages back in the background. */
    vacuum: Vacuum;
  }
}

/** Opens the data folder and the kernel database. */
export const store: Subsystem = {
  name: "store",
  async install(ctx) {
    const { dataDir } = ctx.config;
    ctx.provide("startedAt", Date.now());
    await finishInterruptedRestore(dataDir);
    await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const tmpDir = join(dataDir, "tmp");
    await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
    await Deno.mkdir(tmpDir, { recursive: true });
    ctx.provide("tmpDir", tmpDir);
    const db = openDatabase({ path: join(dataDir, KERNEL_DB_FILE), migrations: KERNEL_MIGRATIONS });
    ctx.provide("db", db);
    const vacuum = createVacuum({ db });
    vacuum.start();
    ctx.provide("vacuum", vacuum);
    ctx.onClose(async () => {
      await vacuum.stop();
      await ctx.flushAll();
      await db.close();
    });
  },
};
