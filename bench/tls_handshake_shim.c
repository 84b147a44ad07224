/*
 * A preload library for wrk (LD_PRELOAD) used by the https benchmark suite
 * (bench/https_suite.ts). wrk reuses one OpenSSL object per connection slot
 * and, after `Connection: close`, offers the previous TLS 1.3 session ticket
 * on the next connection, so its "new connection per request" runs measure
 * resumed (PSK) handshakes. This wrapper around SSL_connect:
 *
 * - counts the handshakes that completed, full and resumed, and prints
 *   "tls-shim: N full handshakes, M resumed" on stderr when wrk exits, so the
 *   suite can check what each run really did;
 * - with TLS_SHIM_FRESH set, drops the remembered session before each new
 *   handshake, so every connection does a full handshake (ECDHE and the
 *   server's certificate signature).
 *
 * It declares the few OpenSSL functions it calls itself, so it builds
 * without OpenSSL headers: cc -O2 -shared -fPIC -o shim.so this.c
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;
int SSL_in_before(const SSL *s);
int SSL_set_session(SSL *s, SSL_SESSION *session);
int SSL_session_reused(const SSL *s);

static unsigned long full_handshakes;
static unsigned long resumed_handshakes;

int SSL_connect(SSL *s) {
  static int (*real_connect)(SSL *);
  static int fresh = -1;
  if (!real_connect) real_connect = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_connect");
  if (fresh < 0) fresh = getenv("TLS_SHIM_FRESH") != NULL;
  /* Only before the handshake starts: SSL_connect is called again while it waits for data. */
  if (fresh && SSL_in_before(s)) SSL_set_session(s, NULL);
  int r = real_connect(s);
  if (r == 1) {
    __atomic_fetch_add(SSL_session_reused(s) ? &resumed_handshakes : &full_handshakes, 1,
                       __ATOMIC_RELAXED);
  }
  return r;
}

__attribute__((destructor)) static void report(void) {
  fprintf(stderr, "tls-shim: %lu full handshakes, %lu resumed\n",
          __atomic_load_n(&full_handshakes, __ATOMIC_RELAXED),
          __atomic_load_n(&resumed_handshakes, __ATOMIC_RELAXED));
}
