/*
 * The DUT control agent of the ``gvisor`` target: runs inside a runsc sandbox.
 *
 * The sandbox's only process is this program, a static binary built from this file at first
 * use (conformance/targets/gvisor.py build_agent, with c_build.py). Its system calls are
 * served by gVisor's Sentry, so the sockets it makes are netstack's. It speaks the JSON-lines
 * protocol of conformance/dut/agent.py on its standard input and output: first
 * {"ready": true, ...}, then one reply line per request line, in order, until its input
 * closes (the harness went away), which ends the sandbox.
 *
 * Why C: gVisor serves every file read, page fault and system call of a sandbox's process, and
 * a sandbox is started for every test. The Python agent it replaces (the same calls:
 * conformance.dut.socket_calls.SocketCalls, served by conformance.dut.socket_calls.handle)
 * cost ~90-110 ms of CPU per sandbox to start the interpreter and import its modules, half of
 * a sandbox's life (tests/bench/gvisor_time.py). This program starts in a few ms.
 *
 * Each call does what SocketCalls does with Python's socket module, system call for system
 * call, so that its answers are the same (tests/integration/test_gvisor_agent.py runs the same
 * calls through both on the host kernel and compares):
 *   socket(family, type, proto=0)          socket(2) with SOCK_CLOEXEC; the descriptor
 *   bind / connect (fd, address[, timeout]) an address is [host, port] or, for AF_INET6,
 *                                           [host, port, flowinfo, scope_id]; "" is "any"
 *   connect timeout 0: non-blocking connect, its errno (EINPROGRESS for TCP), as connect_ex;
 *           timeout > 0: poll(POLLOUT|POLLERR) then SO_ERROR, EAGAIN on the timeout
 *   accept(fd, timeout=2)                  poll(POLLIN) first, then accept4; [fd, peer]
 *   send(fd, data, flags=0, timeout=0)     MSG_DONTWAIT, or SO_SNDTIMEO for a blocking send
 *   recv(fd, n, timeout=2, flags=0)        select() for readable, then MSG_DONTWAIT; with
 *                                           MSG_WAITALL a blocking recv under SO_RCVTIMEO
 *   sendto / recvfrom / shutdown / close / setsockopt / getsockopt / getsockname /
 *   getpeername / poll / close_all, and mib_texts (/proc/net/snmp and netstat as text).
 * Values: bytes as {"b64": ...}, tuples as arrays (conformance/dut/agent_codec.py).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "agent_json.h"

/* ---- the calls ---------------------------------------------------------------------------- */

typedef struct {
    Buf value;      /* the reply's "value", as JSON ("null" if left empty) */
    int err;        /* the reply's "errno" */
    char detail[200];
} Reply;

static int fail(Reply *r, int err, const char *fmt, ...) {
    r->err = err;
    r->value.len = 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->detail, sizeof r->detail, fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* The sockets this test opened, in the order they were opened (close_all closes them so),
 * each with its address family (as Python's socket object keeps it, for its addresses). */
static struct {
    int fd, family;
} open_fds[4096];
static size_t n_open;

static int find(int fd) {
    for (size_t k = 0; k < n_open; k++)
        if (open_fds[k].fd == fd)
            return (int)k;
    return -1;
}

static void forget(int fd) {
    int k = find(fd);
    if (k >= 0) {
        memmove(open_fds + k, open_fds + k + 1, (n_open - (size_t)k - 1) * sizeof *open_fds);
        n_open--;
    }
}

static void remember(int fd, int family) {
    forget(fd);
    if (n_open < sizeof open_fds / sizeof *open_fds) {
        open_fds[n_open].fd = fd;
        open_fds[n_open++].family = family;
    }
}

static int family_of(int fd) { return open_fds[find(fd)].family; }

/* Argument access: a wrong type is Python's TypeError, answered EINVAL. */
typedef struct {
    const Json *args;
    Reply *r;
    int ok;
} Args;

static const Json *arg(Args *a, size_t k) { return k < a->args->n ? a->args->items[k] : NULL; }

static long long int_arg(Args *a, size_t k, long long dflt) {
    const Json *j = arg(a, k);
    if (!j)
        return dflt;
    if ((j->type == J_NUM && j->is_int) || j->type == J_BOOL)
        return j->i;
    if (a->ok)
        fail(a->r, EINVAL, "TypeError: argument %zu must be an integer", k + 1);
    a->ok = 0;
    return 0;
}

static double float_arg(Args *a, size_t k, double dflt) {
    const Json *j = arg(a, k);
    if (!j)
        return dflt;
    if (j->type == J_NUM)
        return j->is_int ? (double)j->i : j->d;
    if (j->type == J_BOOL)
        return (double)j->i;
    if (a->ok)
        fail(a->r, EINVAL, "TypeError: argument %zu must be a number", k + 1);
    a->ok = 0;
    return 0;
}

/* The socket of argument k: one this test opened (else Python's ValueError: EBADF). */
static int fd_arg(Args *a, size_t k) {
    long long fd = int_arg(a, k, -1);
    if (!a->ok)
        return -1;
    if (fd < 0 || fd > INT32_MAX || find((int)fd) < 0) {
        fail(a->r, EBADF, "fd %lld is not a socket this test opened", fd);
        a->ok = 0;
        return -1;
    }
    return (int)fd;
}

static int arity(Args *a, const char *call, size_t least, size_t most) {
    if (a->args->n < least || a->args->n > most) {
        fail(a->r, EINVAL, "TypeError: %s takes %zu to %zu arguments, got %zu", call, least,
             most, a->args->n);
        a->ok = 0;
    }
    return a->ok;
}

/* An address argument for a socket of `family` (Python's getsockaddrarg for AF_INET and
 * AF_INET6, with numeric hosts: "" is the any address). */
static int address_arg(Args *a, size_t k, int family, struct sockaddr_storage *ss,
                       socklen_t *len) {
    const Json *j = arg(a, k);
    memset(ss, 0, sizeof *ss);
    if (!a->ok)
        return 0;
    size_t most = family == AF_INET6 ? 4 : 2;
    if (!j || j->type != J_ARR || j->n < 2 || j->n > most || j->items[0]->type != J_STR ||
        j->items[1]->type != J_NUM || !j->items[1]->is_int) {
        a->ok = 0;
        return fail(a->r, EINVAL, "TypeError: %s address must be a tuple (host, port%s)",
                    family == AF_INET6 ? "AF_INET6" : "AF_INET",
                    family == AF_INET6 ? "[, flowinfo[, scopeid]]" : "");
    }
    const char *host = j->items[0]->s;
    long long port = j->items[1]->i;
    if (port < 0 || port > 65535) {
        a->ok = 0;
        return fail(a->r, EINVAL, "OverflowError: port must be 0-65535.");
    }
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        if (host[0] == 0)
            sin->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (strcmp(host, "<broadcast>") == 0)
            sin->sin_addr.s_addr = htonl(INADDR_BROADCAST);
        else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
            goto not_numeric;
        *len = sizeof *sin;
        return 1;
    }
    if (family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        long long flow = 0, scope = 0;
        for (size_t m = 2; m < j->n; m++)
            if (j->items[m]->type != J_NUM || !j->items[m]->is_int) {
                a->ok = 0;
                return fail(a->r, EINVAL, "TypeError: flowinfo and scope_id are integers");
            }
        if (j->n > 2)
            flow = j->items[2]->i;
        if (j->n > 3)
            scope = j->items[3]->i;
        if (flow < 0 || flow > 0xfffff || scope < 0 || scope > UINT32_MAX) {
            a->ok = 0;
            return fail(a->r, EINVAL, "OverflowError: flowinfo must be 0-1048575.");
        }
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        sin6->sin6_flowinfo = htonl((uint32_t)flow);
        sin6->sin6_scope_id = (uint32_t)scope;
        if (host[0] != 0 && inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
            goto not_numeric;
        *len = sizeof *sin6;
        return 1;
    }
    a->ok = 0;
    return fail(a->r, EAFNOSUPPORT, "address family %d is not AF_INET or AF_INET6", family);
not_numeric:
    /* Python then asks getaddrinfo: a numeric address of the other family is refused with
     * EAI_ADDRFAMILY, and a name is looked up (the DUT has no resolver: EAI_NONAME here) */
    a->ok = 0;
    unsigned char other[sizeof(struct in6_addr)];
    if (inet_pton(family == AF_INET ? AF_INET6 : AF_INET, host, other) == 1)
        return fail(a->r, EAI_ADDRFAMILY, "gaierror: Address family for hostname not supported");
    return fail(a->r, EAI_NONAME, "gaierror: %s is not a numeric address (no names here)",
                host);
}

/* An address as Python's makesockaddr gives it: [host, port] or [host, port, flowinfo,
 * scope_id]; null for none. */
static void put_address(Buf *b, const struct sockaddr_storage *ss, socklen_t len) {
    char host[INET6_ADDRSTRLEN];
    if (len == 0) {
        puts_(b, "null");
    } else if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        put(b, "[", 1);
        put_string(b, host, strlen(host));
        putf(b, ", %u]", ntohs(sin->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        put(b, "[", 1);
        put_string(b, host, strlen(host));
        putf(b, ", %u, %u, %u]", ntohs(sin6->sin6_port), ntohl(sin6->sin6_flowinfo),
             sin6->sin6_scope_id);
    } else {
        /* another family: [family, sa_data], as Python's makesockaddr */
        const struct sockaddr *sa = (const struct sockaddr *)ss;
        size_t head = offsetof(struct sockaddr, sa_data);
        putf(b, "[%d, ", sa->sa_family);
        put_bytes(b, (const unsigned char *)sa->sa_data, len > head ? len - head : 0);
        put(b, "]", 1);
    }
}

static int set_blocking(int fd, int blocking) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    flags = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
    return fcntl(fd, F_SETFL, flags);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Python's sock_call_ex for a socket with a timeout > 0: poll first (POLLIN, or
 * POLLOUT|POLLERR for a connect), ms rounded up; 1 when ready, 0 on the timeout. */
static int wait_ready(int fd, int writing, int connecting, double deadline) {
    for (;;) {
        double left = deadline - now_s();
        if (left < 0)
            return 0;
        struct pollfd p = {fd, (short)(writing ? POLLOUT : POLLIN), 0};
        if (connecting)
            p.events |= POLLERR;
        int n = poll(&p, 1, (int)ceil(left * 1000));
        if (n > 0)
            return 1;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* select() for readable, the timeout rounded up to microseconds (Python's select.select). */
static int readable(int fd, double timeout) {
    double deadline = now_s() + timeout;
    for (;;) {
        double left = timeout;
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(fd, &rd);
        long long us = (long long)ceil(left * 1e6);
        struct timeval tv = {(time_t)(us / 1000000), (suseconds_t)(us % 1000000)};
        int n = select(fd + 1, &rd, NULL, NULL, &tv);
        if (n >= 0)
            return n > 0;
        if (errno != EINTR)
            return -1;
        timeout = deadline - now_s();
        if (timeout < 0)
            timeout = 0;
    }
}

/* SO_RCVTIMEO or SO_SNDTIMEO (0: none), as SocketCalls._timeo. */
static int set_timeo(int fd, int name, double timeout) {
    long seconds = (long)timeout;
    struct timeval tv = {seconds, (suseconds_t)((timeout - (double)seconds) * 1e6)};
    return setsockopt(fd, SOL_SOCKET, name, &tv, sizeof tv);
}

static int ok_null(Reply *r) {
    r->err = 0;
    return 1;
}

static int sys_fail(Reply *r) { return fail(r, errno ? errno : EIO, NULL); }

static int call_socket(Args *a, Reply *r) {
    if (!arity(a, "socket", 2, 3))
        return 0;
    long long family = int_arg(a, 0, 0), type = int_arg(a, 1, 0), proto = int_arg(a, 2, 0);
    if (!a->ok)
        return 0;
    int fd = socket((int)family, (int)type | SOCK_CLOEXEC, (int)proto);
    if (fd < 0)
        return sys_fail(r);
    remember(fd, (int)family);
    putf(&r->value, "%d", fd);
    return 1;
}

/* The socket of argument 0 and an address for it in argument k. */
static int socket_and_address(Args *a, size_t k, int *fd, struct sockaddr_storage *ss,
                              socklen_t *len) {
    *fd = fd_arg(a, 0);
    return a->ok && address_arg(a, k, family_of(*fd), ss, len);
}

static int call_bind(Args *a, Reply *r) {
    int fd;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    if (!arity(a, "bind", 2, 2) || !socket_and_address(a, 1, &fd, &ss, &len))
        return 0;
    return bind(fd, (struct sockaddr *)&ss, len) == 0 ? ok_null(r) : sys_fail(r);
}

/* A connect in progress awaited, as Python's sock_connect_impl: POLLOUT, then SO_ERROR
 * (EISCONN is success), EAGAIN once the deadline passes. */
static int await_connect(int fd, double deadline, Reply *r) {
    for (;;) {
        int ready = wait_ready(fd, 1, 1, deadline);
        if (ready <= 0)
            return ready == 0 ? fail(r, EAGAIN, NULL) : sys_fail(r);
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            return sys_fail(r);
        if (soerr == 0 || soerr == EISCONN)
            return ok_null(r);
        if (soerr != EAGAIN && soerr != EWOULDBLOCK)
            return fail(r, soerr, NULL);
    }
}

static int call_connect(Args *a, Reply *r) {
    int fd;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    if (!arity(a, "connect", 2, 3))
        return 0;
    double timeout = float_arg(a, 2, 0.0);
    if (!a->ok)
        return 0;
    if (timeout < 0)
        return fail(r, EBADF, "ValueError: Timeout value out of range");
    if (!socket_and_address(a, 1, &fd, &ss, &len))
        return 0;
    /* non-blocking for the call (setblocking(False) or settimeout(timeout)), blocking after */
    set_blocking(fd, 0);
    int ok;
    if (connect(fd, (struct sockaddr *)&ss, len) == 0)
        ok = ok_null(r);
    else if (timeout == 0) /* start the handshake, return its errno (connect_ex) */
        ok = fail(r, errno, NULL);
    else if (errno != EINPROGRESS)
        ok = sys_fail(r);
    else
        ok = await_connect(fd, now_s() + timeout, r);
    set_blocking(fd, 1);
    return ok;
}

static int call_listen(Args *a, Reply *r) {
    if (!arity(a, "listen", 2, 2))
        return 0;
    int fd = fd_arg(a, 0);
    long long backlog = int_arg(a, 1, 0);
    if (!a->ok)
        return 0;
    if (backlog < 0)
        backlog = 0; /* (as Python's listen) */
    return listen(fd, (int)backlog) == 0 ? ok_null(r) : sys_fail(r);
}

static int call_accept(Args *a, Reply *r) {
    if (!arity(a, "accept", 1, 2))
        return 0;
    int fd = fd_arg(a, 0);
    double timeout = float_arg(a, 1, 2.0);
    if (!a->ok)
        return 0;
    struct sockaddr_storage ss;
    socklen_t len;
    int conn = -1;
    if (timeout < 0)
        return fail(r, EBADF, "ValueError: Timeout value out of range");
    set_blocking(fd, 0); /* settimeout(timeout) */
    double deadline = now_s() + timeout;
    for (;;) {
        if (timeout > 0) { /* poll first, as Python's sock_call_ex */
            int ready = wait_ready(fd, 0, 0, deadline);
            if (ready <= 0) {
                if (ready == 0)
                    fail(r, EAGAIN, NULL);
                else
                    sys_fail(r);
                break;
            }
        }
        memset(&ss, 0, sizeof ss);
        len = sizeof ss;
        conn = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
        if (conn >= 0)
            break;
        if (errno == EINTR || (timeout > 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
            continue; /* interrupted, or a false positive of poll */
        sys_fail(r);
        break;
    }
    set_blocking(fd, 1); /* settimeout(None) */
    if (conn < 0)
        return 0;
    set_blocking(conn, 1);
    remember(conn, family_of(fd));
    putf(&r->value, "[%d, ", conn);
    put_address(&r->value, &ss, len);
    put(&r->value, "]", 1);
    return 1;
}

static int data_arg(Args *a, size_t k, unsigned char **data, size_t *n) {
    if (!a->ok)
        return 0;
    if (!b64_decode(arg(a, k), data, n)) {
        a->ok = 0;
        return fail(a->r, EINVAL, "TypeError: argument %zu must be bytes", k + 1);
    }
    return 1;
}

static int call_send(Args *a, Reply *r) {
    if (!arity(a, "send", 2, 4))
        return 0;
    int fd = fd_arg(a, 0);
    long long flags = int_arg(a, 2, 0);
    double timeout = float_arg(a, 3, 0.0);
    unsigned char *data = NULL;
    size_t n = 0;
    if (!data_arg(a, 1, &data, &n))
        return 0;
    ssize_t sent;
    if (timeout > 0 && !(flags & MSG_DONTWAIT)) {
        /* a blocking send: the kernel's own send timeout (SO_SNDTIMEO) */
        if (set_timeo(fd, SO_SNDTIMEO, timeout) != 0) {
            free(data);
            return sys_fail(r);
        }
        sent = send(fd, data, n, (int)flags);
        int saved = errno;
        set_timeo(fd, SO_SNDTIMEO, 0.0);
        errno = saved;
    } else {
        sent = send(fd, data, n, (int)flags | MSG_DONTWAIT);
    }
    free(data);
    if (sent < 0)
        return sys_fail(r);
    putf(&r->value, "%zd", sent);
    return 1;
}

static int call_sendto(Args *a, Reply *r) {
    int fd;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    unsigned char *data = NULL;
    size_t n = 0;
    if (!arity(a, "sendto", 3, 3) || !socket_and_address(a, 2, &fd, &ss, &len) ||
        !data_arg(a, 1, &data, &n))
        return 0;
    ssize_t sent = sendto(fd, data, n, MSG_DONTWAIT, (struct sockaddr *)&ss, len);
    free(data);
    if (sent < 0)
        return sys_fail(r);
    putf(&r->value, "%zd", sent);
    return 1;
}

/* recv and recvfrom: wait until readable (timeout > 0), then take what there is. */
static int receive(Args *a, Reply *r, int from) {
    int fd = fd_arg(a, 0);
    long long n = int_arg(a, 1, 0);
    double timeout = float_arg(a, 2, 2.0);
    long long flags = from ? 0 : int_arg(a, 3, 0);
    if (!a->ok)
        return 0;
    if (n < 0)
        return fail(r, EINVAL, "ValueError: negative buffersize in recv");
    unsigned char *buf = malloc((size_t)n + 1);
    if (!buf)
        return fail(r, ENOMEM, "no memory for %lld octets", n);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    ssize_t got;
    if (!from && flags & MSG_WAITALL && !(flags & MSG_DONTWAIT) && timeout > 0) {
        /* a blocking recv (until n octets, end of file or an error) under SO_RCVTIMEO */
        if (set_timeo(fd, SO_RCVTIMEO, timeout) != 0) {
            free(buf);
            return sys_fail(r);
        }
        got = recv(fd, buf, (size_t)n, (int)flags);
        int saved = errno;
        set_timeo(fd, SO_RCVTIMEO, 0.0);
        errno = saved;
    } else {
        if (timeout > 0) {
            int ready = readable(fd, timeout);
            if (ready <= 0) {
                free(buf);
                return ready == 0 ? fail(r, EAGAIN, NULL) : sys_fail(r);
            }
        }
        got = from ? recvfrom(fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&ss, &len)
                   : recv(fd, buf, (size_t)n, (int)flags | MSG_DONTWAIT);
    }
    if (got < 0) {
        free(buf);
        return sys_fail(r);
    }
    if (from) {
        put(&r->value, "[", 1);
        put_bytes(&r->value, buf, (size_t)got);
        put(&r->value, ", ", 2);
        put_address(&r->value, &ss, len);
        put(&r->value, "]", 1);
    } else {
        put_bytes(&r->value, buf, (size_t)got);
    }
    free(buf);
    return 1;
}

static int call_recv(Args *a, Reply *r) { return arity(a, "recv", 2, 4) && receive(a, r, 0); }

static int call_recvfrom(Args *a, Reply *r) {
    return arity(a, "recvfrom", 2, 3) && receive(a, r, 1);
}

static int call_shutdown(Args *a, Reply *r) {
    if (!arity(a, "shutdown", 2, 2))
        return 0;
    int fd = fd_arg(a, 0);
    long long how = int_arg(a, 1, 0);
    if (!a->ok)
        return 0;
    return shutdown(fd, (int)how) == 0 ? ok_null(r) : sys_fail(r);
}

/* close(2), as Python's socket.close: ECONNRESET is not an error of close. */
static int close_socket(int fd) {
    forget(fd);
    return close(fd) == 0 || errno == ECONNRESET ? 0 : -1;
}

static int call_close(Args *a, Reply *r) {
    if (!arity(a, "close", 1, 1))
        return 0;
    long long fd = int_arg(a, 0, -1);
    if (!a->ok)
        return 0;
    if (fd < 0 || fd > INT32_MAX || find((int)fd) < 0)
        return fail(r, EBADF, NULL);
    return close_socket((int)fd) == 0 ? ok_null(r) : sys_fail(r);
}

static int call_setsockopt(Args *a, Reply *r) {
    if (!arity(a, "setsockopt", 4, 4))
        return 0;
    int fd = fd_arg(a, 0);
    long long level = int_arg(a, 1, 0), name = int_arg(a, 2, 0);
    const Json *v = arg(a, 3);
    if (!a->ok)
        return 0;
    int rc;
    if (v->type == J_ARR) { /* a linger pair (the harness sends SO_LINGER as a value) */
        if (level != SOL_SOCKET || name != SO_LINGER || v->n != 2 || v->items[0]->type != J_NUM || v->items[1]->type != J_NUM)
            return fail(r, EINVAL, "TypeError: a linger value is (onoff, seconds)");
        struct linger l = {(int)v->items[0]->i, (int)v->items[1]->i};
        rc = setsockopt(fd, (int)level, (int)name, &l, sizeof l);
    } else if (v->type == J_OBJ) { /* raw bytes */
        unsigned char *data = NULL;
        size_t n = 0;
        if (!data_arg(a, 3, &data, &n))
            return 0;
        rc = setsockopt(fd, (int)level, (int)name, data, (socklen_t)n);
        free(data);
    } else {
        long long value = int_arg(a, 3, 0);
        if (!a->ok)
            return 0;
        if (value < INT32_MIN || value > INT32_MAX)
            return fail(r, EINVAL, "OverflowError: signed integer is greater than maximum");
        int iv = (int)value;
        rc = setsockopt(fd, (int)level, (int)name, &iv, sizeof iv);
    }
    return rc == 0 ? ok_null(r) : sys_fail(r);
}

static int call_getsockopt(Args *a, Reply *r) {
    if (!arity(a, "getsockopt", 3, 4))
        return 0;
    int fd = fd_arg(a, 0);
    long long level = int_arg(a, 1, 0), name = int_arg(a, 2, 0), size = int_arg(a, 3, 0);
    if (!a->ok)
        return 0;
    if (size) { /* the raw bytes, as socket.getsockopt(level, name, size) */
        if (size <= 0 || size > 1024)
            return fail(r, EIO, "getsockopt buflen out of range");
        unsigned char buf[1024];
        socklen_t len = (socklen_t)size;
        if (getsockopt(fd, (int)level, (int)name, buf, &len) != 0)
            return sys_fail(r);
        put_bytes(&r->value, buf, len);
        return 1;
    }
    if (level == SOL_SOCKET && name == SO_LINGER) { /* sockopt's "linger" kind: a pair */
        struct linger l = {0, 0};
        socklen_t len = sizeof l;
        if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) != 0)
            return sys_fail(r);
        putf(&r->value, "[%d, %d]", l.l_onoff, l.l_linger);
        return 1;
    }
    if (level == IPPROTO_TCP && name == TCP_INFO) {
        /* the kernel's struct tcp_info, parsed by the harness (AgentDutApi: TcpInfo.parse) */
        unsigned char buf[512];
        socklen_t len = sizeof buf;
        if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf, &len) != 0)
            return sys_fail(r);
        put_bytes(&r->value, buf, len);
        return 1;
    }
    int value = 0;
    socklen_t len = sizeof value;
    if (getsockopt(fd, (int)level, (int)name, &value, &len) != 0)
        return sys_fail(r);
    putf(&r->value, "%d", value);
    return 1;
}

static int call_name(Args *a, Reply *r, int peer) {
    if (!arity(a, peer ? "getpeername" : "getsockname", 1, 1))
        return 0;
    int fd = fd_arg(a, 0);
    if (!a->ok)
        return 0;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                  : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (rc != 0)
        return sys_fail(r);
    put_address(&r->value, &ss, len);
    return 1;
}

static int call_getsockname(Args *a, Reply *r) { return call_name(a, r, 0); }

static int call_getpeername(Args *a, Reply *r) { return call_name(a, r, 1); }

static int call_poll(Args *a, Reply *r) {
    if (!arity(a, "poll", 3, 3))
        return 0;
    int fd = fd_arg(a, 0);
    long long events = int_arg(a, 1, 0);
    double timeout = float_arg(a, 2, 0.0);
    if (!a->ok)
        return 0;
    struct pollfd p = {fd, (short)events, 0};
    int ms = (int)(timeout * 1000); /* int(timeout * 1000), as SocketCalls */
    int n;
    do
        n = poll(&p, 1, ms);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return sys_fail(r);
    putf(&r->value, "%d", n > 0 ? p.revents : 0);
    return 1;
}

/* Every socket this test opened closed, in the order they were opened; a lingering one first
 * stops lingering, so that no close blocks the test's tear-down (SocketCalls.close_all). */
static int call_close_all(Args *a, Reply *r) {
    (void)a;
    while (n_open) {
        int fd = open_fds[0].fd;
        struct linger l = {0, 0};
        socklen_t len = sizeof l;
        forget(fd);
        if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) != 0)
            continue;
        if (l.l_onoff && l.l_linger > 0) {
            struct linger off = {0, 0};
            if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off) != 0)
                continue;
        }
        close(fd);
    }
    return ok_null(r);
}

/* netstack's MIB counters as the Sentry shows them: the text of /proc/net/snmp and netstat by
 * file name (a missing file left out), parsed by the harness (gvisor.flat_counters). */
static int call_mib_texts(Args *a, Reply *r) {
    (void)a;
    static const char *names[] = {"snmp", "netstat"};
    int first = 1;
    put(&r->value, "{", 1);
    for (size_t k = 0; k < 2; k++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/net/%s", names[k]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        Buf text = {0};
        char chunk[4096];
        ssize_t got;
        while ((got = read(fd, chunk, sizeof chunk)) > 0)
            put(&text, chunk, (size_t)got);
        close(fd);
        if (!first)
            put(&r->value, ", ", 2);
        first = 0;
        put_string(&r->value, names[k], strlen(names[k]));
        put(&r->value, ": ", 2);
        put_string(&r->value, text.data ? text.data : "", text.len);
        free(text.data);
    }
    put(&r->value, "}", 1);
    return ok_null(r);
}

static const struct {
    const char *name;
    int (*run)(Args *, Reply *);
} CALLS[] = {
    {"socket", call_socket}, {"bind", call_bind}, {"listen", call_listen},
    {"accept", call_accept}, {"connect", call_connect}, {"send", call_send},
    {"sendto", call_sendto}, {"recv", call_recv}, {"recvfrom", call_recvfrom},
    {"shutdown", call_shutdown}, {"close", call_close}, {"setsockopt", call_setsockopt},
    {"getsockopt", call_getsockopt}, {"getsockname", call_getsockname},
    {"getpeername", call_getpeername}, {"poll", call_poll}, {"close_all", call_close_all},
    {"mib_texts", call_mib_texts},
};

/* One request line answered: {"id": ..., "value": ..., "errno": ...[, "detail": ...]}. */
static void answer(const char *line, size_t n, Buf *out) {
    static const Json no_args = {.type = J_ARR};
    Json *message = parse_document(line, n);
    const Json *id = member(message, "id");
    const Json *call = member(message, "call");
    const Json *args = member(message, "args");
    Reply r = {{0}, 0, {0}};
    int (*run)(Args *, Reply *) = NULL;
    for (size_t k = 0; call && call->type == J_STR && k < sizeof CALLS / sizeof *CALLS; k++)
        if (strcmp(call->s, CALLS[k].name) == 0)
            run = CALLS[k].run;
    if (!run) {
        fail(&r, ENOSYS, "no such call");
    } else if (args && args->type != J_ARR) {
        fail(&r, EINVAL, "TypeError: args must be an array");
    } else {
        Args a = {args ? args : &no_args, &r, 1};
        errno = 0;
        run(&a, &r);
    }
    puts_(out, "{\"id\": ");
    if (id)
        put(out, id->src, id->srclen);
    else
        puts_(out, "null");
    puts_(out, ", \"value\": ");
    if (r.err == 0 && r.value.len)
        put(out, r.value.data, r.value.len);
    else
        puts_(out, "null");
    putf(out, ", \"errno\": %d", r.err);
    if (r.detail[0]) {
        puts_(out, ", \"detail\": ");
        put_string(out, r.detail, strlen(r.detail));
    }
    puts_(out, "}\n");
    free(r.value.data);
    json_free(message);
}

static void write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            _exit(0); /* the harness went away */
        }
        p += w;
        n -= (size_t)w;
    }
}

int main(void) {
    double t0 = now_s();
    /* A send on a connection the peer reset fails with EPIPE instead of killing the agent,
     * as in Python, which ignores SIGPIPE and SIGXFSZ at start. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    /* The real stdout carries the protocol; fd 1 then points at stderr, so that nothing else
     * can corrupt the protocol (agent_codec.protocol_stream). */
    int protocol = dup(1);
    dup2(2, 1);
    struct utsname u;
    uname(&u);
    Buf out = {0};
    puts_(&out, "{\"ready\": true, ");
    putf(&out, "\"pid\": %d, \"sentry_release\": ", getpid());
    put_string(&out, u.release, strlen(u.release)); /* netstack's Sentry's, not the host's */
    putf(&out, ", \"agent\": \"c\", \"agent_start_s\": %.4f}\n", now_s() - t0);
    write_all(protocol, out.data, out.len);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        out.len = 0;
        answer(line, (size_t)n, &out);
        write_all(protocol, out.data, out.len);
    }
    return 0;
}
