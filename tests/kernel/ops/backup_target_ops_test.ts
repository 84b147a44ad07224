/**
 * The S3 backup-target operations over REST and the CLI: owner only, the
 * secret key and session token never come back (responses, CLI output,
 * errors), and the CLI takes them from the environment or standard input,
 * never from a flag.
 */
import assert from "node:assert/strict";
import { withKernel } from "../../_helpers/kernel.ts";
import { cli } from "../../_helpers/server.ts";
import { type CliIo, runCli } from "../../../kernel/cli/cli.ts";
import { createKernel } from "../../../kernel/boot/kernel.ts";
import { S3RVER_ACCESS_KEY_ID, withS3rver } from "../../_helpers/s3rver.ts";

/** A data folder with a kernel store in it, as `fazt serve` leaves one. */
async function dataFolder(): Promise<string> {
  const dataDir = await Deno.makeTempDir({ prefix: "fazt-s3-cli-" });
  await (await createKernel({ dataDir })).close();
  return dataDir;
}

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";

Deno.test("backups.set_target, list_targets and remove_target over REST: admin only, secrets masked, remove by location", async () => {
  await withKernel(async (t) => {
    const set = await t.api("PUT", "/backups/targets", {
      body: {
        location: "s3://backups/box1/",
        endpoint: "http://127.0.0.1:9000",
        region: "auto",
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: SECRET,
        sessionToken: TOKEN,
        check: false,
      },
    });
    const setText = await set.text();
    assert.equal(set.status, 200, setText);
    assert.equal(setText.includes(SECRET) || setText.includes(TOKEN), false);
    assert.deepEqual(
      { ...JSON.parse(setText), createdAt: "", updatedAt: "" },
      {
        location: "s3://backups/box1",
        endpoint: "http://127.0.0.1:9000",
        region: "auto",
        accessKeyId: "AKIDEXAMPLE",
        secretAccessKey: "****",
        sessionToken: "****",
        createdAt: "",
        updatedAt: "",
      },
    );
    const list = await t.api("GET", "/backups/targets");
    const listText = await list.text();
    assert.equal(list.status, 200);
    assert.equal(listText.includes(SECRET) || listText.includes(TOKEN), false);
    assert.equal(JSON.parse(listText).length, 1);
    assert.equal(t.kernel.services.backupTargets.open("s3://backups/box1").secretAccessKey, SECRET);

    const created = await t.api("POST", "/tokens", {
      body: { name: "reader", scopes: ["system:read", "apps:write", "secrets:write"] },
    });
    assert.equal(created.status, 201);
    const { token } = await created.json();
    for (
      const [method, body] of [["GET", undefined], ["PUT", {
        location: "s3://x-y",
        accessKeyId: "a",
        secretAccessKey: "b",
      }]] as const
    ) {
      const res = await t.api(method, "/backups/targets", { token, body });
      assert.equal(res.status, 403, `${method} needs the owner`);
    }

    const bad = await t.api("PUT", "/backups/targets", {
      body: { location: "s3://Bad_Bucket", accessKeyId: "a", secretAccessKey: SECRET },
    });
    assert.equal(bad.status, 400);
    assert.equal((await bad.text()).includes(SECRET), false, "an error never echoes the secret");

    const removed = await t.api(
      "DELETE",
      `/backups/targets?location=${encodeURIComponent("s3://backups/box1/")}`,
    );
    assert.equal(removed.status, 200, await removed.clone().text());
    assert.deepEqual(await removed.json(), { location: "s3://backups/box1", removed: true });
    const again = await t.api(
      "DELETE",
      `/backups/targets?location=${encodeURIComponent("s3://backups/box1")}`,
    );
    assert.equal(again.status, 404);
  });
});

function fakeIo(env: Record<string, string>, stdin?: string) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const prompts: string[] = [];
  const io: CliIo = {
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    env: (name) => env[name],
    readPassword: (prompt) => {
      prompts.push(prompt);
      return stdin === undefined
        ? Promise.reject(new Error("no standard input"))
        : Promise.resolve(stdin);
    },
  };
  return { io, stdout, stderr, prompts };
}

Deno.test("fazt backup target set: the secret comes from the environment or stdin, never a flag", async () => {
  const dataDir = await dataFolder();
  try {
    const base = [
      "backup",
      "target",
      "set",
      "s3://backups/fazt",
      "--data",
      dataDir,
      "--check=false",
    ];
    const flag = fakeIo({});
    assert.equal(
      await runCli([...base, "--access-key-id", "AKID", "--secretAccessKey", SECRET], flag.io),
      2,
    );
    assert.match(flag.stderr.join("\n"), /never a flag.*FAZT_S3_SECRET_ACCESS_KEY/);
    assert.equal(flag.stderr.join("\n").includes(SECRET), false);

    const fromEnv = fakeIo({ FAZT_S3_SECRET_ACCESS_KEY: SECRET, FAZT_S3_SESSION_TOKEN: TOKEN });
    assert.equal(
      await runCli(
        [...base, "--access-key-id", "AKID", "--endpoint", "http://127.0.0.1:9000"],
        fromEnv.io,
      ),
      0,
      fromEnv.stderr.join("\n"),
    );
    assert.deepEqual(fromEnv.prompts, [], "nothing asked when the environment has it");
    const shown = fromEnv.stdout.join("\n");
    assert.match(shown, /\*\*\*\*/);
    assert.equal(shown.includes(SECRET) || shown.includes(TOKEN), false);

    const fromStdin = fakeIo({}, `${SECRET}\n`);
    assert.equal(await runCli([...base, "--access-key-id", "AKID2"], fromStdin.io), 0);
    assert.equal(fromStdin.prompts.length, 1);
    assert.match(fromStdin.prompts[0], /FAZT_S3_SECRET_ACCESS_KEY/);

    const empty = fakeIo({}, "\n");
    assert.equal(await runCli([...base, "--access-key-id", "AKID3"], empty.io), 2);
    assert.match(empty.stderr.join("\n"), /Missing secretAccessKey: set FAZT_S3_SECRET_ACCESS_KEY/);

    const list = fakeIo({});
    assert.equal(
      await runCli(["backup", "target", "list", "--data", dataDir, "--json"], list.io),
      0,
    );
    const [saved] = JSON.parse(list.stdout.join("\n"));
    assert.equal(saved.accessKeyId, "AKID2", "the stdin run replaced the target");
    assert.equal(saved.sessionToken, null);
    assert.equal(list.stdout.join("\n").includes(SECRET), false);

    const help = fakeIo({});
    assert.equal(await runCli(["backup", "target", "set", "--help"], help.io), 0);
    assert.match(
      help.stdout.join("\n"),
      /secretAccessKey\s+.*from FAZT_S3_SECRET_ACCESS_KEY or standard input, never a flag/,
    );
    assert.doesNotMatch(help.stdout.join("\n"), /--secretAccessKey/);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("the real fazt process reads the secret from stdin, checks the bucket, and backs up there", async () => {
  await withS3rver(async (endpoint) => {
    const dataDir = await dataFolder();
    try {
      const set = (location: string) =>
        cli(
          [
            "backup",
            "target",
            "set",
            location,
            "--endpoint",
            endpoint,
            "--access-key-id",
            S3RVER_ACCESS_KEY_ID,
            "--data",
            dataDir,
            "--json",
          ],
          {},
          { stdin: `${SECRET}\n` },
        );
      const missing = await set("s3://no-such-bucket");
      assert.equal(missing.code, 1);
      assert.equal(JSON.parse(missing.stderr).error.code, "not_found");
      assert.match(
        JSON.parse(missing.stderr).error.message,
        /The bucket "no-such-bucket" does not exist/,
      );
      const res = await set("s3://backups/box");
      assert.equal(res.code, 0, res.stderr);
      assert.equal(JSON.parse(res.stdout).secretAccessKey, "****");
      assert.equal((res.stdout + res.stderr + missing.stderr).includes(SECRET), false);
      const list = await cli(["backup", "target", "list", "--data", dataDir]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /s3:\/\/backups\/box .*S3RVER.*\*\*\*\*/);
      assert.equal(list.stdout.includes("no-such-bucket"), false, "a failed check saves nothing");

      // Backups go to the saved target, are listed from it and pruned there.
      const backup = (args: string[]) =>
        cli(["backup", ...args, "--to", "s3://backups/box", "--data", dataDir, "--json"]);
      for (let i = 0; i < 2; i++) {
        // Archive names have one-second resolution; each CLI run here is its own kernel.
        if (i > 0) await new Promise((r) => setTimeout(r, 1_100));
        const made = await backup(["create"]);
        assert.equal(made.code, 0, made.stderr);
        assert.equal(JSON.parse(made.stdout).location, "s3://backups/box");
      }
      const stored = await backup(["list"]);
      assert.equal(stored.code, 0, stored.stderr);
      const names = (JSON.parse(stored.stdout) as { name: string }[]).map((b) => b.name);
      assert.equal(names.length, 2);
      assert.ok(names.every((n) => /^fazt-backup-\d{8}T\d{6}Z-.+\.tar$/.test(n)), names.join());
      const pruned = await backup(["prune", "--keep", "1"]);
      assert.equal(pruned.code, 0, pruned.stderr);
      const left = JSON.parse((await backup(["list"])).stdout) as { name: string }[];
      assert.deepEqual(left.map((b) => b.name), [names[0]]);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  });
});

Deno.test("backups.set_target checks the bucket with the keys first and saves nothing that fails", async () => {
  await withS3rver(async (endpoint) => {
    await withKernel(async (t) => {
      const body = (location: string, accessKeyId = S3RVER_ACCESS_KEY_ID) => ({
        body: { location, endpoint, accessKeyId, secretAccessKey: SECRET },
      });
      const missing = await t.api("PUT", "/backups/targets", body("s3://no-such-bucket/fazt"));
      assert.equal(missing.status, 404);
      assert.match(
        (await missing.json()).error.message,
        /The bucket "no-such-bucket" does not exist/,
      );
      const stranger = await t.api(
        "PUT",
        "/backups/targets",
        body("s3://backups/fazt", "AKIDNOPE"),
      );
      assert.equal(stranger.status, 403);
      const strangerText = await stranger.text();
      assert.match(strangerText, /InvalidAccessKeyId/);
      assert.equal(strangerText.includes(SECRET), false);
      assert.deepEqual(t.kernel.services.backupTargets.list(), [], "nothing saved");

      const ok = await t.api("PUT", "/backups/targets", body("s3://backups/fazt"));
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.equal(t.kernel.services.backupTargets.list().length, 1);
    });
  });
});
