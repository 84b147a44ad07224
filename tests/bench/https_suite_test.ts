import assert from "node:assert/strict";
import { machineTicks, tcpPassiveOpens, waitForQuietMachine } from "../../bench/https_suite.ts";

Deno.test("tcpPassiveOpens reads the PassiveOpens column of /proc/net/snmp", () => {
  const snmp = [
    "Ip: Forwarding DefaultTTL",
    "Ip: 1 64",
    "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails",
    "Tcp: 1 200 120000 -1 170931 167372 3393",
    "",
  ].join("\n");
  assert.equal(tcpPassiveOpens(snmp), 167372);
  assert.throws(() => tcpPassiveOpens("Ip: 1\n"), /PassiveOpens/);
});

Deno.test("tcpPassiveOpens counts connections accepted on this machine", async () => {
  const before = tcpPassiveOpens();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  (await accepted).close();
  conn.close();
  listener.close();
  assert.ok(tcpPassiveOpens() >= before + 1);
});

Deno.test("machineTicks reads busy and total ticks from the cpu line of /proc/stat", () => {
  const stat = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n";
  assert.deepEqual(machineTicks(stat), { busy: 160, total: 980 });
  const now = machineTicks();
  assert.ok(now.total > 0 && now.busy <= now.total);
});

Deno.test("waitForQuietMachine returns the busy share it saw", async () => {
  const busy = await waitForQuietMachine(1);
  assert.ok(busy >= 0 && busy <= 1, String(busy));
});
