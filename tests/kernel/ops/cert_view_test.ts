import assert from "node:assert/strict";
import {
  certificateStatus,
  CertificateView,
  certificateView,
} from "../../../kernel/ops/cert_view.ts";
import type { CertificateInfo } from "../../../kernel/services/tls/tls_service.ts";

const NOW = Date.parse("2026-12-07T12:00:00Z");
const DAY = 86_400_000;

function info(over: Partial<CertificateInfo>): CertificateInfo {
  return {
    id: "shop.example.org",
    names: ["shop.example.org"],
    source: "acme",
    issuer: "Pebble Intermediate CA",
    notBefore: NOW - 10 * DAY,
    notAfter: NOW + 80 * DAY,
    renewAt: NOW + 50 * DAY,
    lastError: null,
    lastErrorAt: null,
    retryAt: null,
    ...over,
  };
}

Deno.test("certificateStatus: one state and sentence for every case", () => {
  const failed = { lastError: "challenge failed: 404", lastErrorAt: NOW - DAY };
  const cases: [string, CertificateInfo | null, string, string][] = [
    [
      "no certificate yet",
      null,
      "pending",
      "pending (the first HTTPS request orders its certificate)",
    ],
    [
      "first order running",
      info({ notBefore: null, notAfter: null, renewAt: null }),
      "pending",
      "pending (ordering its certificate)",
    ],
    [
      "first order failed, retry planned",
      info({ notBefore: null, notAfter: null, renewAt: null, ...failed, retryAt: NOW + 300_000 }),
      "failing",
      "failing: challenge failed: 404 (next try 2026-12-07 12:05 UTC)",
    ],
    [
      "first order failed, no retry",
      info({ notBefore: null, notAfter: null, renewAt: null, ...failed }),
      "failing",
      "failing: challenge failed: 404",
    ],
    ["valid ACME", info({}), "active", "active until 2027-02-25 (renews 2027-01-26)"],
    [
      "valid manual",
      info({ source: "manual", renewAt: null }),
      "active",
      "active until 2027-02-25 (brought by the owner: replace it before then)",
    ],
    [
      "valid, renewal failing",
      info({ ...failed, retryAt: NOW + 3_600_000 }),
      "failing",
      "active until 2027-02-25; renewal failing: challenge failed: 404 (next try 2026-12-07 13:00 UTC)",
    ],
    ["expired", info({ notAfter: NOW - DAY }), "expired", "expired on 2026-12-06"],
    [
      "expired, renewal failing",
      info({ notAfter: NOW, ...failed }),
      "expired",
      "expired on 2026-12-07; renewal failing: challenge failed: 404",
    ],
  ];
  for (const [name, given, state, status] of cases) {
    assert.deepEqual(certificateStatus(given, NOW), { state, status }, name);
  }
});

Deno.test("certificateView: ISO times, nulls kept, the output schema holds", () => {
  const view = certificateView(info({ renewAt: null, lastError: "x", lastErrorAt: NOW }));
  assert.equal(view.notBefore, "2026-11-27T12:00:00.000Z");
  assert.equal(view.notAfter, "2027-02-25T12:00:00.000Z");
  assert.equal(view.renewAt, null);
  assert.equal(view.lastErrorAt, "2026-12-07T12:00:00.000Z");
  assert.equal(view.retryAt, null);
  assert.deepEqual(CertificateView.parse(view), view);
  assert.ok(!("keyPem" in view));
});
