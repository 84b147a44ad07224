import assert from "node:assert/strict";
import {
  bodyReader,
  bytesOf,
  ConnReader,
  framingOf,
  HttpProtocolError,
  latin1,
  parseHead,
} from "../../../../kernel/services/egress/http1.ts";

Deno.test("a response head parses into version, status and headers as received", () => {
  const head = parseHead(
    "HTTP/1.1 404 Not Here\r\nContent-Type: text/plain\r\nx-empty:\r\nx-pad:  \t v \t\r\n\r\n",
  );
  assert.deepEqual(head, {
    version: "1.1",
    status: 404,
    headers: [["Content-Type", "text/plain"], ["x-empty", ""], ["x-pad", "v"]],
  });
  assert.equal(parseHead("HTTP/1.0 200\n\n").version, "1.0");
  assert.equal(parseHead("HTTP/1.1 999 Nine\r\n\r\n").status, 999);
  assert.equal(parseHead("HTTP/1.1 200 OK\r\nx-bytes: caf\xe9\r\n\r\n").headers[0][1], "caf\xe9");
});

Deno.test("a head that is not valid HTTP/1.1 is refused", () => {
  const cases = [
    "HTTP/2 200 OK\r\n\r\n",
    "HTTP/1.1 20 OK\r\n\r\n",
    "HTTP/1.1 099 Low\r\n\r\n",
    "SSH-2.0-OpenSSH_9.6\r\n\r\n",
    "HTTP/1.1 200 OK\r\nx-folded: a\r\n  b\r\n\r\n",
    "HTTP/1.1 200 OK\r\nbad name: v\r\n\r\n",
    "HTTP/1.1 200 OK\r\nno-colon\r\n\r\n",
    "HTTP/1.1 200 OK\r\nx-nul: a\x00b\r\n\r\n",
    "HTTP/1.1 200 OK\r\nx-cr: a\rb\r\n\r\n",
    "HTTP/1.1 200 O\x01K\r\n\r\n",
  ];
  for (const head of cases) {
    assert.throws(() => parseHead(head), HttpProtocolError, JSON.stringify(head));
  }
});

Deno.test("the body's framing follows RFC 9112 the way fetch reads it", () => {
  const head = (status: number, ...headers: [string, string][]) => ({
    version: "1.1" as const,
    status,
    headers,
  });
  const cases: [string, ReturnType<typeof head>, string][] = [
    ["HEAD", head(200, ["content-length", "10"]), "none"],
    ["GET", head(204, ["content-length", "5"]), "none"],
    ["GET", head(304), "none"],
    ["GET", head(200, ["Transfer-Encoding", "chunked"]), "chunked"],
    ["GET", head(200, ["transfer-encoding", "gzip"], ["transfer-encoding", "Chunked"]), "chunked"],
    ["GET", head(200, ["transfer-encoding", "gzip"]), "close"],
    ["GET", head(200, ["content-length", "3"], ["transfer-encoding", "chunked"]), "chunked"],
    ["GET", head(200, ["content-length", "7"]), "length 7"],
    ["GET", head(200, ["content-length", "7"], ["Content-Length", "7"]), "length 7"],
    ["GET", head(200, ["content-length", "7, 7"]), "length 7"],
    ["GET", head(200, ["content-length", "0"]), "length 0"],
    ["GET", head(200), "close"],
  ];
  for (const [method, h, expected] of cases) {
    const f = framingOf(method, h);
    assert.equal(f.kind === "length" ? `length ${f.length}` : f.kind, expected, JSON.stringify(h));
  }
  for (const bad of ["7, 8", "-1", "1e3", "", "0x10", "9999999999999999"]) {
    assert.throws(
      () => framingOf("GET", head(200, ["content-length", bad])),
      HttpProtocolError,
      bad,
    );
  }
});

/** A real loopback connection whose peer sends `pieces` one write at a time, then closes. */
async function connectionSending(pieces: string[]): Promise<ConnReader> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept().then(async (conn) => {
    for (const piece of pieces) {
      await conn.write(bytesOf(piece));
      await new Promise((r) => setTimeout(r, 1));
    }
    conn.close();
  });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  await accepted;
  listener.close();
  return new ConnReader(client);
}

async function bodyOf(reader: ConnReader, framing: Parameters<typeof bodyReader>[1]) {
  const body = bodyReader(reader, framing);
  let text = "";
  for (let piece = await body.next(); piece !== null; piece = await body.next()) {
    text += latin1(piece);
  }
  return { text, ended: body.ended() };
}

Deno.test("bodies are read by their framing, split across packets anywhere", async () => {
  const chunked = "5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nx-trailer: t\r\n\r\n";
  const cases: { pieces: string[]; framing: Parameters<typeof bodyReader>[1]; text: string }[] = [
    { pieces: [chunked], framing: { kind: "chunked" }, text: "hello 0123456789" },
    {
      pieces: chunked.split(""),
      framing: { kind: "chunked" },
      text: "hello 0123456789",
    },
    { pieces: ["abc", "def"], framing: { kind: "length", length: 6 }, text: "abcdef" },
    { pieces: ["abc", "def"], framing: { kind: "close" }, text: "abcdef" },
    { pieces: [], framing: { kind: "length", length: 0 }, text: "" },
  ];
  for (const c of cases) {
    const reader = await connectionSending(c.pieces);
    const { text, ended } = await bodyOf(reader, c.framing);
    assert.equal(text, c.text, JSON.stringify(c.pieces.slice(0, 3)));
    assert.equal(ended, c.framing.kind !== "close");
  }
});

Deno.test("a body cut short or framed wrongly is an error", async () => {
  const cases: { pieces: string[]; framing: Parameters<typeof bodyReader>[1] }[] = [
    { pieces: ["abc"], framing: { kind: "length", length: 6 } },
    { pieces: ["5\r\nhello\r\n"], framing: { kind: "chunked" } },
    { pieces: ["5\r\nhel"], framing: { kind: "chunked" } },
    { pieces: ["zz\r\nhello\r\n0\r\n\r\n"], framing: { kind: "chunked" } },
    { pieces: ["3\r\nhello\r\n0\r\n\r\n"], framing: { kind: "chunked" } },
    { pieces: [`${"1".repeat(9000)}\r\n`], framing: { kind: "chunked" } },
  ];
  for (const c of cases) {
    const reader = await connectionSending(c.pieces);
    await assert.rejects(bodyOf(reader, c.framing), HttpProtocolError, c.pieces[0].slice(0, 20));
  }
});

Deno.test("a head is read up to its blank line, within its limit", async () => {
  const reader = await connectionSending(["HTTP/1.1 200 OK\r\nx-a: 1\r", "\n\r\nbody"]);
  assert.equal(await reader.readHead(1024), "HTTP/1.1 200 OK\r\nx-a: 1\r\n\r\n");
  assert.equal(reader.buffered, 4);
  const silent = await connectionSending([]);
  assert.equal(await silent.readHead(1024), null);
  const cut = await connectionSending(["HTTP/1.1 200 OK\r\nx-a"]);
  await assert.rejects(cut.readHead(1024), HttpProtocolError);
  const huge = await connectionSending([`HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(5000)}\r\n\r\n`]);
  await assert.rejects(huge.readHead(1024), /over 1024 bytes/);
});
