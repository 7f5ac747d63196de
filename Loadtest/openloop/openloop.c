/*
 * openloop: an open-loop HTTP/2 (h2c, prior knowledge) load generator on libnghttp2.
 *
 *   openloop -c N -r RATE -D SECONDS [--warm-up SECONDS] [--poisson] [-m STREAMS] [-i FILE | URL...]
 *            [--json FILE] [--drain-timeout SECONDS]
 *   openloop -c N -m STREAMS -D SECONDS ...            (no -r: closed loop, like h2load -c N -m STREAMS)
 *
 * Open loop (-r): request k of the whole run has an intended send time computed from the schedule alone,
 * never from when an earlier request finished. The run's R req/s are spread over the N connections; connection
 * i sends requests i, i+N, i+2N, ... of a global schedule t0 + j/R, so its own schedule (interval N/R) is offset
 * by i/N of that interval. With --poisson, each connection draws exponential gaps of mean N/R instead (starting at
 * the same offset). When the schedule falls behind (every stream of a connection busy, socket not writable, the
 * event loop late), due requests are sent as soon as possible and their latency is still counted from their
 * intended time: latency = completion - intended send time (coordinated-omission correction, as wrk2 does).
 * The summary also shows service time (completion - actual send) and send lag (actual - intended send), so a
 * generator that cannot keep up is visible.
 *
 * Closed loop (no -r): each connection keeps -m streams in flight; a completed request is replaced at once;
 * latency = completion - send.
 *
 * Requests whose intended (closed loop: actual) send time falls in the warm-up are sent but not measured. After
 * warm-up + duration no new request is scheduled; requests already due are still sent, and everything in flight
 * gets --drain-timeout (default 2 s) to finish, then everything is closed. Requests not answered by then
 * (incomplete) and requests the schedule wanted in the measured window but that were never sent (unsent) mean
 * the schedule was not met; they are counted apart from failures. Exit status: 0 when every request got a 2xx
 * answer; 1 when any failed (stream reset, connection error) or got a non-2xx answer; 3 when none did but some
 * were unsent or incomplete (the target was more than the server took); 2 on usage errors.
 *
 * Only http:// URLs on 127.0.0.1 or [::1] are accepted. One thread, one epoll loop, non-blocking sockets,
 * TCP_NODELAY, epoll_pwait2 with ns timeouts for the schedule, 1 GiB HTTP/2 stream and connection windows.
 * In open loop the generator sleeps until --spin-us (default 200) before the next intended send time and polls
 * from there without sleeping (calling sched_yield, so other work on its core still runs): on this VM a sleep of
 * 10 µs in epoll takes ~87 µs, which would otherwise land in every request's send lag. It is meant to own a core
 * (taskset). --spin-us 0 always sleeps.
 *
 * Build: make -C Loadtest/openloop   (output in Loadtest/openloop/build/, git-ignored)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------------------------ */
/* Histogram: HdrHistogram's log-linear bucket layout, 3 significant digits, values recorded in nanoseconds
 * (unit 1 ns), tracked up to 100 s (larger values are clamped to 100 s and counted in `clamped`). Layout as in
 * HdrHistogram_c: sub_bucket_count = 2048 (the power of two >= 2 * 10^3), each bucket after the first covers twice
 * the range of the one before with 1024 linear sub-buckets, so any value is stored within 1/1024 (< 0.1%) of itself.
 * Percentiles are reported as the highest value equivalent to the bucket holding the requested rank, as
 * HdrHistogram's value_at_percentile does. */
#define H_SIG_MAG 11 /* sub_bucket_count_magnitude = ceil(log2(2 * 10^3)) */
#define H_HALF_MAG (H_SIG_MAG - 1)
#define H_SUB_COUNT (1 << H_SIG_MAG)
#define H_HALF_COUNT (1 << H_HALF_MAG)
#define H_MAX_VALUE 100000000000LL /* 100 s in ns */

typedef struct {
  int bucket_count;
  int counts_len;
  int64_t *counts;
  int64_t total;
  int64_t min, max;
  int64_t clamped;
  double sum;
} hist;

static void hist_init(hist *h) {
  int64_t smallest_untrackable = (int64_t)H_SUB_COUNT;
  int buckets = 1;
  while (smallest_untrackable <= H_MAX_VALUE) {
    smallest_untrackable <<= 1;
    buckets++;
  }
  h->bucket_count = buckets;
  h->counts_len = (buckets + 1) * H_HALF_COUNT;
  h->counts = calloc((size_t)h->counts_len, sizeof(int64_t));
  if (!h->counts) {
    perror("calloc");
    exit(1);
  }
  h->total = 0;
  h->min = INT64_MAX;
  h->max = 0;
  h->clamped = 0;
  h->sum = 0;
}

static int hist_bucket_index(int64_t v) {
  int pow2ceiling = 64 - __builtin_clzll((uint64_t)v | (uint64_t)(H_SUB_COUNT - 1));
  return pow2ceiling - (H_HALF_MAG + 1);
}

static int hist_counts_index(int64_t v) {
  int b = hist_bucket_index(v);
  int sub = (int)(v >> b);
  return ((b + 1) << H_HALF_MAG) + (sub - H_HALF_COUNT);
}

/* The lowest value stored at counts index i, and the size of its range. */
static int64_t hist_value_at_index(int i, int64_t *range) {
  int b = (i >> H_HALF_MAG) - 1;
  int sub = (i & (H_HALF_COUNT - 1)) + H_HALF_COUNT;
  if (b < 0) {
    sub -= H_HALF_COUNT;
    b = 0;
  }
  if (range) *range = (int64_t)1 << b;
  return (int64_t)sub << b;
}

static void hist_record(hist *h, int64_t v) {
  if (v < 0) v = 0;
  if (v > H_MAX_VALUE) {
    v = H_MAX_VALUE;
    h->clamped++;
  }
  int i = hist_counts_index(v);
  if (i < 0 || i >= h->counts_len) i = h->counts_len - 1;
  h->counts[i]++;
  h->total++;
  h->sum += (double)v;
  if (v < h->min) h->min = v;
  if (v > h->max) h->max = v;
}

/* Value (ns) at percentile p (0..100). */
static int64_t hist_percentile(const hist *h, double p) {
  if (h->total == 0) return 0;
  if (p >= 100.0) return h->max;
  int64_t want = (int64_t)((p / 100.0) * (double)h->total + 0.5);
  if (want < 1) want = 1;
  int64_t seen = 0;
  for (int i = 0; i < h->counts_len; i++) {
    seen += h->counts[i];
    if (seen >= want) {
      int64_t range, low = hist_value_at_index(i, &range);
      int64_t high = low + range - 1;
      return high < h->max ? high : h->max;
    }
  }
  return h->max;
}

/* ------------------------------------------------------------------------------------------------------------ */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "openloop: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(2);
}

typedef struct {
  char *path; /* path + query */
  size_t len;
} uri;

typedef struct req {
  int64_t intended_ns;
  int64_t sent_ns;
  int status;
  int measured;
  struct req *next_free;
} req;

typedef struct conn {
  int index;
  int fd;
  int connected;
  int got_settings;
  int dead;
  int dirty;
  int want_write; /* EPOLLOUT armed */
  nghttp2_session *session;
  uint8_t *out;
  size_t out_len, out_off, out_cap;
  req *reqs;
  req *free_list;
  int inflight;
  int max_streams;
  int64_t next_ns; /* intended time of this connection's next request (open loop) */
  int64_t k;       /* requests of this connection's schedule sent so far */
} conn;

/* Options */
static int opt_conns = 1;
static double opt_rate = 0; /* 0: closed loop */
static double opt_duration = 10;
static double opt_warmup = 0;
static double opt_drain = 2;
static int opt_poisson = 0;
static int opt_streams = 0; /* 0: default (closed loop 1, open loop 100) */
static const char *opt_json = NULL;
static const char *opt_uri_file = NULL;
static uint64_t opt_seed = 1;
static int64_t opt_spin_ns = -1; /* -1: default (open loop 200 µs, closed loop 0) */

/* Target */
static struct sockaddr_storage target_addr;
static socklen_t target_addrlen;
static char authority[128];
static uri *uris;
static size_t n_uris, uri_cursor;

/* Run state */
static conn *conns;
static int epfd;
static int64_t t0, warm_end_ns, end_ns, drain_end_ns;
static int stopping; /* past end: no new requests */
static int started;  /* past t0 */
static volatile sig_atomic_t interrupted;

/* Results (measured window unless noted) */
static hist h_latency, h_service, h_lag;
static int64_t n_sent, n_completed, n_errors, n_status[6]; /* status classes: [0] other, [1..5] 1xx..5xx */
static int64_t n_warm_sent, n_warm_completed, n_warm_errors, n_warm_non2xx;
static int64_t n_incomplete, n_unsent, n_conn_errors, n_stream_resets;
static int64_t n_bytes_body;
static int64_t first_measured_ns = -1, last_completion_ns = -1;

static uint64_t rng_state;
static double rng_uniform(void) { /* xorshift64*, in (0, 1) */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  uint64_t r = rng_state * 2685821657736338717ULL;
  return ((double)(r >> 11) + 0.5) / 9007199254740992.0;
}

static int64_t interval_ns(void) { return (int64_t)((double)opt_conns * 1e9 / opt_rate); }

static int64_t schedule_next(conn *c) {
  /* Intended time of this connection's request number c->k (0-based). */
  if (opt_poisson) return c->next_ns;
  return t0 + (int64_t)(((double)c->index + (double)c->k * (double)opt_conns) * 1e9 / opt_rate);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* URIs */

static void add_uri(const char *s, const char *where) {
  const char *p = s;
  if (strncmp(p, "http://", 7) != 0) die("%s: only http:// URLs (h2c prior knowledge): %s", where, s);
  p += 7;
  char host[64];
  const char *hend;
  if (*p == '[') {
    hend = strchr(p, ']');
    if (!hend) die("%s: bad URL %s", where, s);
    size_t n = (size_t)(hend - p - 1);
    if (n >= sizeof host) die("%s: bad host in %s", where, s);
    memcpy(host, p + 1, n);
    host[n] = 0;
    hend++;
  } else {
    hend = p + strcspn(p, ":/?");
    size_t n = (size_t)(hend - p);
    if (n >= sizeof host) die("%s: bad host in %s", where, s);
    memcpy(host, p, n);
    host[n] = 0;
  }
  int port = 80;
  const char *rest = hend;
  if (*rest == ':') {
    char *e;
    long v = strtol(rest + 1, &e, 10);
    if (v <= 0 || v > 65535) die("%s: bad port in %s", where, s);
    port = (int)v;
    rest = e;
  }
  if (*rest != '/' && *rest != 0) die("%s: bad URL %s", where, s);
  struct sockaddr_storage a;
  memset(&a, 0, sizeof a);
  socklen_t alen;
  char auth[128];
  if (strcmp(host, "127.0.0.1") == 0) {
    struct sockaddr_in *in = (struct sockaddr_in *)&a;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    alen = sizeof *in;
    snprintf(auth, sizeof auth, "127.0.0.1:%d", port);
  } else if (strcmp(host, "::1") == 0) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    in6->sin6_addr = in6addr_loopback;
    alen = sizeof *in6;
    snprintf(auth, sizeof auth, "[::1]:%d", port);
  } else {
    die("%s: refusing host '%s': only 127.0.0.1 and [::1] are allowed", where, host);
  }
  if (n_uris == 0) {
    target_addr = a;
    target_addrlen = alen;
    snprintf(authority, sizeof authority, "%s", auth);
  } else if (strcmp(auth, authority) != 0) {
    die("%s: every URL must name the same host and port (%s, not %s)", where, authority, auth);
  }
  const char *path = *rest ? rest : "/";
  uris = realloc(uris, (n_uris + 1) * sizeof *uris);
  uris[n_uris].path = strdup(path);
  uris[n_uris].len = strlen(path);
  n_uris++;
}

static void read_uri_file(const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) die("%s: %s", file, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ')) line[--n] = 0;
    if (n == 0 || line[0] == '#') continue;
    add_uri(line, file);
  }
  free(line);
  fclose(f);
  if (n_uris == 0) die("%s: no URLs", file);
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Connections */

static void conn_update_events(conn *c) {
  int want = c->out_len > c->out_off || !c->connected;
  if (want == c->want_write) return;
  struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_write = want;
}

static void count_finished(req *r, int ok) {
  if (r->measured) {
    if (!ok) {
      n_errors++;
    } else {
      n_completed++;
      int cls = r->status / 100;
      n_status[(cls >= 1 && cls <= 5) ? cls : 0]++;
    }
  } else {
    if (!ok) {
      n_warm_errors++;
    } else {
      n_warm_completed++;
      if (r->status < 200 || r->status >= 300) n_warm_non2xx++;
    }
  }
}

static void conn_fail(conn *c, const char *why) {
  if (c->dead) return;
  if (!stopping || c->inflight) {
    fprintf(stderr, "openloop: connection %d: %s\n", c->index, why);
    n_conn_errors++;
  }
  c->dead = 1;
  /* Every stream still open on it failed. */
  for (int i = 0; i < c->max_streams; i++) {
    req *r = &c->reqs[i];
    if (r->sent_ns) {
      count_finished(r, 0);
      r->sent_ns = 0;
    }
  }
  c->inflight = 0;
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user) {
  (void)flags;
  (void)user;
  if (frame->hd.type != NGHTTP2_HEADERS || namelen != 7 || memcmp(name, ":status", 7) != 0) return 0;
  req *r = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
  if (!r || r->status) return 0;
  int st = 0;
  for (size_t i = 0; i < valuelen && i < 3; i++) st = st * 10 + (value[i] - '0');
  if (st >= 100 && st < 200) return 0; /* informational: wait for the final status */
  r->status = st;
  return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t stream_id, const uint8_t *data, size_t len,
                         void *user) {
  (void)s;
  (void)flags;
  (void)stream_id;
  (void)data;
  (void)user;
  n_bytes_body += (int64_t)len;
  return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t stream_id, uint32_t error_code, void *user) {
  conn *c = user;
  req *r = nghttp2_session_get_stream_user_data(s, stream_id);
  if (!r || !r->sent_ns) return 0;
  int64_t t = now_ns();
  int ok = error_code == NGHTTP2_NO_ERROR && r->status != 0;
  if (!ok) n_stream_resets++;
  if (ok && r->measured) {
    hist_record(&h_latency, t - r->intended_ns);
    hist_record(&h_service, t - r->sent_ns);
    last_completion_ns = t;
  }
  count_finished(r, ok);
  r->sent_ns = 0;
  r->next_free = c->free_list;
  c->free_list = r;
  c->inflight--;
  c->dirty = 1;
  return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *user) {
  conn *c = user;
  if (frame->hd.type == NGHTTP2_SETTINGS && !(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
    c->got_settings = 1;
    uint32_t remote = nghttp2_session_get_remote_settings(s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
    int limit = opt_streams;
    if ((int64_t)remote < limit) limit = (int)remote;
    if (limit < 1) limit = 1;
    c->max_streams = limit;
    c->dirty = 1;
  } else if (frame->hd.type == NGHTTP2_GOAWAY) {
    if (!stopping) fprintf(stderr, "openloop: connection %d: GOAWAY from the server\n", c->index);
  }
  return 0;
}

static void conn_open(conn *c) {
  c->fd = socket(target_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) die("socket: %s", strerror(errno));
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int r = connect(c->fd, (struct sockaddr *)&target_addr, target_addrlen);
  if (r < 0 && errno != EINPROGRESS) die("connect %s: %s", authority, strerror(errno));
  c->connected = 0;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
  c->want_write = 1;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));

  nghttp2_session_callbacks *cb;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_option *opt;
  nghttp2_option_new(&opt);
  nghttp2_option_set_peer_max_concurrent_streams(opt, 100);
  if (nghttp2_session_client_new2(&c->session, cb, c, opt) != 0) die("nghttp2_session_client_new2 failed");
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  /* Big windows, so that flow control never limits: 1 GiB per stream and for the connection. */
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 30},
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
  };
  nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
  nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0, 1 << 30);

  c->reqs = calloc((size_t)opt_streams, sizeof(req));
  c->max_streams = opt_streams;
  c->free_list = NULL;
  for (int i = opt_streams - 1; i >= 0; i--) {
    c->reqs[i].next_free = c->free_list;
    c->free_list = &c->reqs[i];
  }
  c->out_cap = 1 << 16;
  c->out = malloc(c->out_cap);
  c->dirty = 1;
}

static void conn_flush(conn *c) {
  if (c->dead || !c->connected) return;
  for (;;) {
    if (c->out_off == c->out_len) {
      c->out_off = c->out_len = 0;
      /* Gather everything nghttp2 has to send into one buffer, written with one send(). */
      for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->session, &data);
        if (n < 0) {
          conn_fail(c, nghttp2_strerror((int)n));
          return;
        }
        if (n == 0) break;
        if (c->out_len + (size_t)n > c->out_cap) {
          while (c->out_len + (size_t)n > c->out_cap) c->out_cap *= 2;
          c->out = realloc(c->out, c->out_cap);
        }
        memcpy(c->out + c->out_len, data, (size_t)n);
        c->out_len += (size_t)n;
        if (c->out_len >= (1 << 18)) break;
      }
      if (c->out_len == 0) break;
    }
    ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      conn_fail(c, strerror(errno));
      return;
    }
    c->out_off += (size_t)w;
  }
  conn_update_events(c);
}

static void conn_submit(conn *c, int64_t intended, int64_t t) {
  req *r = c->free_list;
  c->free_list = r->next_free;
  uri *u = &uris[uri_cursor];
  if (++uri_cursor == n_uris) uri_cursor = 0;
  const uint8_t f = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;
  nghttp2_nv nv[] = {
      {(uint8_t *)":method", (uint8_t *)"GET", 7, 3, f},
      {(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, f},
      {(uint8_t *)":authority", (uint8_t *)authority, 10, strlen(authority), f},
      {(uint8_t *)":path", (uint8_t *)u->path, 5, u->len, f},
      {(uint8_t *)"user-agent", (uint8_t *)"openloop", 10, 8, f},
  };
  r->intended_ns = intended;
  r->sent_ns = t;
  r->status = 0;
  r->measured = intended >= warm_end_ns;
  int32_t id = nghttp2_submit_request(c->session, NULL, nv, sizeof nv / sizeof nv[0], NULL, r);
  if (id < 0) {
    r->sent_ns = 0;
    r->next_free = c->free_list;
    c->free_list = r;
    conn_fail(c, nghttp2_strerror(id));
    return;
  }
  c->inflight++;
  if (r->measured) {
    n_sent++;
    if (first_measured_ns < 0) first_measured_ns = intended;
    hist_record(&h_lag, t - intended);
  } else {
    n_warm_sent++;
  }
  c->k++;
  if (opt_poisson && opt_rate > 0) c->next_ns += (int64_t)(-log(rng_uniform()) * (double)interval_ns());
}

/* Issue every request that is due on this connection (open loop) or refill it (closed loop). */
static void conn_issue(conn *c, int64_t t) {
  if (c->dead || !c->got_settings) return;
  while (c->free_list && c->inflight < c->max_streams) {
    if (opt_rate > 0) {
      int64_t due = schedule_next(c);
      if (due > t || due >= end_ns) break;
      conn_submit(c, due, t);
    } else {
      if (t >= end_ns) break;
      conn_submit(c, t, t);
    }
    if (c->dead) return;
  }
}

static void conn_read(conn *c) {
  static uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      conn_fail(c, strerror(errno));
      return;
    }
    if (n == 0) {
      conn_fail(c, "connection closed by the server");
      return;
    }
    ssize_t r = nghttp2_session_mem_recv(c->session, buf, (size_t)n);
    if (r < 0) {
      conn_fail(c, nghttp2_strerror((int)r));
      return;
    }
    c->dirty = 1;
    if (n < (ssize_t)sizeof buf) return;
  }
}

static void conn_event(conn *c, uint32_t ev) {
  if (c->dead) return;
  if (!c->connected) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
      conn_fail(c, strerror(err));
      return;
    }
    if (!(ev & (EPOLLOUT | EPOLLIN))) return;
    c->connected = 1;
  }
  if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) conn_read(c);
  if (!c->dead && (ev & EPOLLOUT)) c->dirty = 1;
}

static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Output */

static double us(int64_t ns) { return (double)ns / 1000.0; }

static void json_hist(FILE *f, const char *name, const hist *h, int curve) {
  fprintf(f, "  \"%s\": {\"count\": %" PRId64 ", \"min\": %.3f, \"mean\": %.3f, \"p50\": %.3f, \"p90\": %.3f, "
             "\"p99\": %.3f, \"p999\": %.3f, \"p9999\": %.3f, \"max\": %.3f",
          name, h->total, h->total ? us(h->min) : 0.0, h->total ? h->sum / (double)h->total / 1000.0 : 0.0,
          us(hist_percentile(h, 50)), us(hist_percentile(h, 90)), us(hist_percentile(h, 99)),
          us(hist_percentile(h, 99.9)), us(hist_percentile(h, 99.99)), us(h->max));
  if (curve) {
    /* The percentile curve as HdrHistogram prints it: 5 ticks per halving of the distance to 100%. */
    fprintf(f, ",\n    \"curve\": [");
    int first = 1;
    for (int k = 0;; k++) {
      double q = 1.0 - pow(0.5, (double)k / 5.0);
      if (h->total && (1.0 - q) * (double)h->total < 0.5) break;
      if (k > 200) break;
      fprintf(f, "%s[%.6f, %.3f]", first ? "" : ", ", q * 100.0, us(hist_percentile(h, q * 100.0)));
      first = 0;
    }
    fprintf(f, "%s[100.0, %.3f]]", first ? "" : ", ", us(h->max));
  }
  fprintf(f, "}");
}

static void write_json(const char *path, double measured_s, double achieved) {
  FILE *f = fopen(path, "w");
  if (!f) die("%s: %s", path, strerror(errno));
  fprintf(f, "{\n  \"tool\": \"openloop\",\n  \"mode\": \"%s\",\n  \"schedule\": \"%s\",\n",
          opt_rate > 0 ? "open" : "closed", opt_rate > 0 ? (opt_poisson ? "poisson" : "constant") : "none");
  fprintf(f, "  \"authority\": \"%s\",\n  \"uris\": %zu,\n  \"connections\": %d,\n  \"streams_per_connection\": %d,\n",
          authority, n_uris, opt_conns, opt_streams);
  if (opt_rate > 0)
    fprintf(f, "  \"target_rate\": %.3f,\n", opt_rate);
  else
    fprintf(f, "  \"target_rate\": null,\n");
  fprintf(f, "  \"achieved_rate\": %.3f,\n  \"duration_s\": %.3f,\n  \"measured_s\": %.6f,\n  \"warmup_s\": %.3f,\n",
          achieved, opt_duration, measured_s, opt_warmup);
  fprintf(f, "  \"requests\": {\"sent\": %" PRId64 ", \"completed\": %" PRId64 ", \"errors\": %" PRId64
             ", \"unsent\": %" PRId64 ", \"incomplete\": %" PRId64 ", \"stream_errors\": %" PRId64
             ", \"connection_errors\": %" PRId64 "},\n",
          n_sent, n_completed, n_errors, n_unsent, n_incomplete, n_stream_resets, n_conn_errors);
  fprintf(f, "  \"status\": {\"1xx\": %" PRId64 ", \"2xx\": %" PRId64 ", \"3xx\": %" PRId64 ", \"4xx\": %" PRId64
             ", \"5xx\": %" PRId64 ", \"other\": %" PRId64 "},\n",
          n_status[1], n_status[2], n_status[3], n_status[4], n_status[5], n_status[0]);
  fprintf(f, "  \"warmup\": {\"sent\": %" PRId64 ", \"completed\": %" PRId64 ", \"errors\": %" PRId64
             ", \"non_2xx\": %" PRId64 "},\n",
          n_warm_sent, n_warm_completed, n_warm_errors, n_warm_non2xx);
  fprintf(f, "  \"body_bytes\": %" PRId64 ",\n", n_bytes_body);
  fprintf(f, "  \"histogram\": \"log-linear, HdrHistogram layout, 3 significant digits, ns resolution\",\n");
  fprintf(f, "  \"latency_definition\": \"%s\",\n",
          opt_rate > 0 ? "completion - intended send time (coordinated-omission corrected)" : "completion - send");
  json_hist(f, "latency_us", &h_latency, 1);
  fprintf(f, ",\n");
  json_hist(f, "service_us", &h_service, 1);
  fprintf(f, ",\n");
  json_hist(f, "send_lag_us", &h_lag, 0);
  fprintf(f, "\n}\n");
  fclose(f);
}

static void print_hist(const char *name, const hist *h) {
  printf("  %-12s p50 %9.1f  p90 %9.1f  p99 %9.1f  p99.9 %9.1f  p99.99 %9.1f  max %9.1f µs\n", name,
         us(hist_percentile(h, 50)), us(hist_percentile(h, 90)), us(hist_percentile(h, 99)),
         us(hist_percentile(h, 99.9)), us(hist_percentile(h, 99.99)), us(h->max));
}

static void usage(void) {
  fprintf(stderr,
          "usage: openloop [-c CONNS] [-r RATE] [-m STREAMS] -D SECONDS [--warm-up SECONDS] [--poisson]\n"
          "                [--drain-timeout SECONDS] [--json FILE] [--seed N] (-i URI_FILE | URL...)\n"
          "  -r RATE   open loop: RATE requests/s in total over all connections (constant schedule,\n"
          "            or --poisson); latency counts from each request's intended send time\n"
          "  no -r     closed loop: -m STREAMS in flight per connection (like h2load -c -m)\n"
          "  -m        streams per connection (closed loop: in flight, default 1; open loop: at most,\n"
          "            default 100, also capped by the server's SETTINGS_MAX_CONCURRENT_STREAMS)\n"
          "  --spin-us N  open loop: sleep until N µs before the next intended send time, then poll\n"
          "            without sleeping (default 200; 0 always sleeps; waking from a sleep costs ~80 µs in a VM)\n"
          "  URLs: http://127.0.0.1:PORT/path?query or http://[::1]:PORT/..., h2c prior knowledge\n");
  exit(2);
}

int main(int argc, char **argv) {
  static struct option longopts[] = {
      {"warm-up", required_argument, 0, 'W'}, {"warm-up-time", required_argument, 0, 'W'},
      {"poisson", no_argument, 0, 'P'},       {"json", required_argument, 0, 'J'},
      {"drain-timeout", required_argument, 0, 'T'}, {"seed", required_argument, 0, 'S'},
      {"spin-us", required_argument, 0, 'U'}, {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "c:r:m:D:i:h", longopts, NULL)) != -1) {
    switch (ch) {
      case 'c': opt_conns = atoi(optarg); break;
      case 'r': opt_rate = atof(optarg); break;
      case 'm': opt_streams = atoi(optarg); break;
      case 'D': opt_duration = atof(optarg); break;
      case 'i': opt_uri_file = optarg; break;
      case 'W': opt_warmup = atof(optarg); break;
      case 'P': opt_poisson = 1; break;
      case 'J': opt_json = optarg; break;
      case 'T': opt_drain = atof(optarg); break;
      case 'S': opt_seed = strtoull(optarg, NULL, 10); break;
      case 'U': opt_spin_ns = (int64_t)(atof(optarg) * 1000); break;
      default: usage();
    }
  }
  if (opt_conns < 1 || opt_conns > 10000) die("-c must be 1..10000");
  if (opt_rate < 0) die("-r must be positive");
  if (opt_duration <= 0 || opt_duration > 3600) die("-D must be in (0, 3600] seconds");
  if (opt_warmup < 0 || opt_warmup > 600) die("--warm-up must be in [0, 600] seconds");
  if (opt_drain < 0 || opt_drain > 60) die("--drain-timeout must be in [0, 60] seconds");
  if (opt_streams == 0) opt_streams = opt_rate > 0 ? 100 : 1;
  if (opt_spin_ns < 0) opt_spin_ns = opt_rate > 0 ? 200000 : 0;
  if (opt_streams < 1 || opt_streams > 100000) die("-m must be 1..100000");
  if (opt_uri_file) read_uri_file(opt_uri_file);
  for (int i = optind; i < argc; i++) add_uri(argv[i], "argument");
  if (n_uris == 0) usage();
  rng_state = opt_seed * 0x9E3779B97F4A7C15ULL + 1;

  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  hist_init(&h_latency);
  hist_init(&h_service);
  hist_init(&h_lag);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll: %s", strerror(errno));

  conns = calloc((size_t)opt_conns, sizeof(conn));
  for (int i = 0; i < opt_conns; i++) {
    conns[i].index = i;
    conn_open(&conns[i]);
  }

  /* Connect and exchange SETTINGS (at most 5 s), then start the clock. */
  int64_t setup_deadline = now_ns() + 5000000000LL;
  struct epoll_event events[256];
  for (;;) {
    int ready = 0, alive = 0;
    for (int i = 0; i < opt_conns; i++) {
      if (conns[i].dead) continue;
      alive++;
      if (conns[i].got_settings) ready++;
    }
    if (alive == 0) die("no connection to %s could be opened", authority);
    if (ready == alive) break;
    if (now_ns() > setup_deadline || interrupted) die("connections to %s not ready after 5 s", authority);
    int n = epoll_wait(epfd, events, 256, 100);
    for (int e = 0; e < n; e++)
      if (events[e].data.ptr) conn_event(events[e].data.ptr, events[e].events);
    for (int i = 0; i < opt_conns; i++) conn_flush(&conns[i]);
  }

  t0 = now_ns() + 1000000; /* 1 ms from now */
  warm_end_ns = t0 + (int64_t)(opt_warmup * 1e9);
  end_ns = warm_end_ns + (int64_t)(opt_duration * 1e9);
  drain_end_ns = end_ns + (int64_t)(opt_drain * 1e9);
  for (int i = 0; i < opt_conns; i++) {
    conns[i].k = 0;
    conns[i].next_ns = t0 + (opt_rate > 0 ? (int64_t)((double)i * 1e9 / opt_rate) : 0);
    conns[i].dirty = 1;
  }

  for (;;) {
    int64_t t = now_ns();
    if (interrupted && !stopping) {
      /* Stop early: measure what was done so far. */
      end_ns = t < warm_end_ns ? warm_end_ns : t;
      drain_end_ns = t + (int64_t)(opt_drain * 1e9);
    }
    if (t >= end_ns) stopping = 1;
    /* Done when past the end, nothing is in flight and no request of the schedule is still waiting to be sent
     * (a late request is still sent during the drain, its latency counted from its intended time). */
    int busy = 0;
    for (int i = 0; i < opt_conns && !busy; i++) {
      conn *c = &conns[i];
      if (c->dead) continue;
      busy = c->inflight > 0 || (opt_rate > 0 && !interrupted && schedule_next(c) < end_ns);
    }
    if (stopping && (!busy || t >= drain_end_ns)) break;

    /* Issue due requests, flush, and find the next intended send time that a free stream could take. */
    int64_t next = -1;
    if (!started && t >= t0) {
      started = 1;
      for (int i = 0; i < opt_conns; i++) conns[i].dirty = 1;
    }
    for (int i = 0; i < opt_conns; i++) {
      conn *c = &conns[i];
      if (c->dead) continue;
      if (!c->dirty && !(opt_rate > 0 && started && schedule_next(c) <= t)) {
        if (opt_rate > 0 && c->free_list && c->inflight < c->max_streams) {
          int64_t due = schedule_next(c);
          if (due < end_ns && (next < 0 || due < next)) next = due;
        }
        continue;
      }
      if (started && !interrupted) conn_issue(c, t);
      conn_flush(c);
      c->dirty = 0;
      if (opt_rate > 0 && !c->dead && c->free_list && c->inflight < c->max_streams) {
        int64_t due = schedule_next(c);
        if (due < end_ns && (next < 0 || due < next)) next = due;
      }
    }
    int64_t wake = next >= 0 ? next : (stopping ? drain_end_ns : end_ns);
    if (!stopping && t < t0 && wake > t0) wake = t0;
    if (!stopping && wake > end_ns) wake = end_ns;
    if (stopping && wake > drain_end_ns) wake = drain_end_ns;
    /* Sleep in epoll (ns timeout) until the next intended send time; with --spin-us, sleep only until that
     * much before it and poll without sleeping from there (the generator owns its core; waking from idle costs
     * tens of µs in a VM). */
    int64_t wait_ns = wake - now_ns();
    if (wait_ns <= opt_spin_ns) wait_ns = 0;
    else if (opt_spin_ns > 0) wait_ns -= opt_spin_ns;
    if (wait_ns > 1000000000LL) wait_ns = 1000000000LL;
    struct timespec ts = {.tv_sec = wait_ns / 1000000000LL, .tv_nsec = wait_ns % 1000000000LL};
    int n = epoll_pwait2(epfd, events, 256, &ts, NULL);
    if (n < 0 && errno != EINTR) die("epoll_pwait2: %s", strerror(errno));
    if (n == 0 && wait_ns == 0 && opt_spin_ns > 0) sched_yield(); /* spinning: let anything else on the core run */
    for (int e = 0; e < n; e++) conn_event(events[e].data.ptr, events[e].events);
  }

  /* Requests still in flight after the drain timeout (incomplete) and requests the schedule wanted in the measured
   * window but that were never sent (unsent): the schedule was not met. They are counted apart from failures. */
  for (int i = 0; i < opt_conns; i++) {
    conn *c = &conns[i];
    if (!c->dead) {
      for (int s = 0; s < opt_streams; s++) {
        req *r = &c->reqs[s];
        if (r->sent_ns) {
          n_incomplete++;
          r->sent_ns = 0;
        }
      }
      c->inflight = 0;
      nghttp2_session_terminate_session(c->session, NGHTTP2_NO_ERROR);
      conn_flush(c);
      close(c->fd);
      c->fd = -1;
      c->dead = 1;
    }
    nghttp2_session_del(c->session);
    if (opt_rate > 0) {
      /* Requests of this connection's schedule due in the measured window [warm_end, end) but never sent: walk
       * the rest of the schedule with the same function that issued it (so rounding cannot disagree). */
      while (schedule_next(c) < end_ns) {
        if (schedule_next(c) >= warm_end_ns) n_unsent++;
        c->k++;
        if (opt_poisson) c->next_ns += (int64_t)(-log(rng_uniform()) * (double)interval_ns());
      }
    }
  }
  close(epfd);

  double measured_s = opt_duration;
  if (end_ns - warm_end_ns < (int64_t)(opt_duration * 1e9)) measured_s = (double)(end_ns - warm_end_ns) / 1e9;
  double achieved = measured_s > 0 ? (double)n_completed / measured_s : 0;
  int64_t non2xx = n_status[0] + n_status[1] + n_status[3] + n_status[4] + n_status[5];
  int64_t failed = n_errors + n_warm_errors;

  printf("openloop: %s, %s, %d connection(s), %d stream(s) max each, %zu URI(s) on %s\n",
         opt_rate > 0 ? "open loop" : "closed loop",
         opt_rate > 0 ? (opt_poisson ? "Poisson arrivals" : "constant schedule") : "no schedule", opt_conns,
         opt_streams, n_uris, authority);
  if (opt_rate > 0)
    printf("  target %.0f req/s, achieved %.1f req/s over %.3f s (after %.1f s warm-up)\n", opt_rate, achieved,
           measured_s, opt_warmup);
  else
    printf("  achieved %.1f req/s over %.3f s (after %.1f s warm-up)\n", achieved, measured_s, opt_warmup);
  printf("  requests: %" PRId64 " sent, %" PRId64 " completed, %" PRId64 " failed (%" PRId64 " stream errors, %" PRId64
         " connection errors); not completed: %" PRId64 " unsent, %" PRId64 " incomplete\n",
         n_sent, n_completed, n_errors, n_stream_resets, n_conn_errors, n_unsent, n_incomplete);
  printf("  status codes: %" PRId64 " 2xx, %" PRId64 " 3xx, %" PRId64 " 4xx, %" PRId64 " 5xx, %" PRId64 " other\n",
         n_status[2], n_status[3], n_status[4], n_status[5], n_status[0] + n_status[1]);
  printf("  warm-up: %" PRId64 " sent, %" PRId64 " completed, %" PRId64 " errors, %" PRId64 " non-2xx\n",
         n_warm_sent, n_warm_completed, n_warm_errors, n_warm_non2xx);
  print_hist(opt_rate > 0 ? "latency" : "latency", &h_latency);
  if (opt_rate > 0) {
    print_hist("service", &h_service);
    print_hist("send lag", &h_lag);
  }
  if (h_latency.clamped) printf("  %" PRId64 " latencies above 100 s were clamped\n", h_latency.clamped);
  if (opt_json) write_json(opt_json, measured_s, achieved);
  if (failed || non2xx || n_warm_non2xx) {
    fprintf(stderr, "openloop: %" PRId64 " failed and %" PRId64 " non-2xx requests\n", failed, non2xx + n_warm_non2xx);
    return 1;
  }
  if (n_unsent || n_incomplete) {
    fprintf(stderr, "openloop: schedule not met: %" PRId64 " requests unsent and %" PRId64
            " unanswered when the run ended\n", n_unsent, n_incomplete);
    return 3;
  }
  return 0;
}
