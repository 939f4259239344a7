/*
 * The JSON of the DUT line protocol (conformance/dut/agent.py) for the gvisor target's agent
 * (gvisor_agent.c, which includes it: one translation unit, built by c_build): a growing
 * output buffer that writes JSON as json.dumps does (ASCII, ", " and ": "), bytes as
 * {"b64": ...} (conformance/dut/agent_codec.py), and a reader of one JSON document into a tree.
 */
#ifndef NC_AGENT_JSON_H
#define NC_AGENT_JSON_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- output: a growing buffer ----------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static void buf_grow(Buf *b, size_t more) {
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->data = realloc(b->data, cap);
    if (!b->data) {
        perror("gvisor_agent: out of memory");
        _exit(70);
    }
    b->cap = cap;
}

static void put(Buf *b, const char *s, size_t n) {
    buf_grow(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

static void puts_(Buf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(Buf *b, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A JSON string, ASCII only (as json.dumps: non-ASCII octets as \u00XX). */
static void put_string(Buf *b, const char *s, size_t n) {
    put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': puts_(b, "\\\""); break;
        case '\\': puts_(b, "\\\\"); break;
        case '\n': puts_(b, "\\n"); break;
        case '\r': puts_(b, "\\r"); break;
        case '\t': puts_(b, "\\t"); break;
        case '\b': puts_(b, "\\b"); break;
        case '\f': puts_(b, "\\f"); break;
        default:
            if (c < 0x20 || c >= 0x7f)
                putf(b, "\\u%04x", c);
            else
                put(b, (const char *)&c, 1);
        }
    }
    put(b, "\"", 1);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_bytes(Buf *b, const unsigned char *p, size_t n) {
    puts_(b, "{\"b64\": \"");
    buf_grow(b, (n + 2) / 3 * 4);
    char *o = b->data + b->len;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = B64[(v >> 6) & 63];
        *o++ = B64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = 0;
    puts_(b, "\"}");
}

/* ---- input: a JSON document as a tree ---------------------------------------------------- */

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct Json Json;
struct Json {
    int type;
    int is_int;         /* J_NUM: written without a fraction or exponent */
    long long i;        /* J_NUM (is_int), J_BOOL */
    double d;           /* J_NUM */
    char *s;            /* J_STR (decoded, NUL-terminated; may hold NULs: slen) */
    size_t slen;
    Json **items;       /* J_ARR values; J_OBJ values */
    char **keys;        /* J_OBJ keys */
    size_t n;
    const char *src;    /* the document's own text of this value */
    size_t srclen;
};

typedef struct {
    const char *p, *end;
    int depth;
} Parser;

static void skip_ws(Parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static Json *node(int type) {
    Json *j = calloc(1, sizeof *j);
    if (!j) {
        perror("gvisor_agent: out of memory");
        _exit(70);
    }
    j->type = type;
    return j;
}

static void json_free(Json *j) {
    if (!j)
        return;
    for (size_t k = 0; k < j->n; k++) {
        json_free(j->items[k]);
        if (j->keys)
            free(j->keys[k]);
    }
    free(j->items);
    free(j->keys);
    free(j->s);
    free(j);
}

static Json *parse_value(Parser *ps);

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static void put_utf8(Buf *b, unsigned cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) { u[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); n = 2; }
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 63));
        u[2] = (char)(0x80 | (cp & 63)); n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 63));
        u[2] = (char)(0x80 | ((cp >> 6) & 63)); u[3] = (char)(0x80 | (cp & 63)); n = 4;
    }
    put(b, u, n);
}

static Json *parse_string(Parser *ps) {
    ps->p++; /* the opening quote */
    Buf b = {0};
    buf_grow(&b, 0);
    while (ps->p < ps->end && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20)
            goto bad; /* strict, as json.loads */
        if (c != '\\') {
            put(&b, ps->p++, 1);
            continue;
        }
        if (ps->end - ps->p < 2)
            goto bad;
        char e = ps->p[1];
        ps->p += 2;
        switch (e) {
        case '"': put(&b, "\"", 1); break;
        case '\\': put(&b, "\\", 1); break;
        case '/': put(&b, "/", 1); break;
        case 'b': put(&b, "\b", 1); break;
        case 'f': put(&b, "\f", 1); break;
        case 'n': put(&b, "\n", 1); break;
        case 'r': put(&b, "\r", 1); break;
        case 't': put(&b, "\t", 1); break;
        case 'u': {
            unsigned cp, lo;
            if (ps->end - ps->p < 4 || !hex4(ps->p, &cp))
                goto bad;
            ps->p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
                ps->p[1] == 'u' && hex4(ps->p + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                ps->p += 6;
            }
            put_utf8(&b, cp);
            break;
        }
        default:
            goto bad;
        }
    }
    if (ps->p >= ps->end)
        goto bad;
    ps->p++; /* the closing quote */
    Json *j = node(J_STR);
    j->s = b.data;
    j->slen = b.len;
    return j;
bad:
    free(b.data);
    return NULL;
}

static Json *parse_number(Parser *ps) {
    const char *start = ps->p;
    int is_int = 1;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return NULL;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    if (ps->p < ps->end && *ps->p == '.') {
        is_int = 0;
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return NULL;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        is_int = 0;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return NULL;
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    char tmp[64];
    size_t n = (size_t)(ps->p - start);
    if (n >= sizeof tmp)
        return NULL;
    memcpy(tmp, start, n);
    tmp[n] = 0;
    Json *j = node(J_NUM);
    j->is_int = is_int;
    j->d = strtod(tmp, NULL);
    if (is_int) {
        errno = 0;
        j->i = strtoll(tmp, NULL, 10);
        if (errno == ERANGE)
            j->is_int = 0; /* beyond 64 bits: no C call takes it (an OverflowError in Python) */
    }
    return j;
}

static int literal(Parser *ps, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return 0;
    ps->p += n;
    return 1;
}

static void append(Json *j, Json *item, char *key) {
    if ((j->n & (j->n - 1)) == 0) { /* 0, 1, 2, 4, ...: double the room */
        size_t cap = j->n ? j->n * 2 : 1;
        j->items = realloc(j->items, cap * sizeof *j->items);
        if (j->type == J_OBJ)
            j->keys = realloc(j->keys, cap * sizeof *j->keys);
        if (!j->items || (j->type == J_OBJ && !j->keys)) {
            perror("gvisor_agent: out of memory");
            _exit(70);
        }
    }
    j->items[j->n] = item;
    if (j->type == J_OBJ)
        j->keys[j->n] = key;
    j->n++;
}

static Json *parse_container(Parser *ps, int type) {
    char close = type == J_ARR ? ']' : '}';
    Json *j = node(type);
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (type == J_OBJ) {
            if (ps->p >= ps->end || *ps->p != '"')
                goto bad;
            Json *k = parse_string(ps);
            if (!k)
                goto bad;
            key = k->s;
            k->s = NULL;
            json_free(k);
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                goto bad;
            }
            ps->p++;
        }
        Json *item = parse_value(ps);
        if (!item) {
            free(key);
            goto bad;
        }
        append(j, item, key);
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return j;
        }
        goto bad;
    }
bad:
    json_free(j);
    return NULL;
}

static Json *parse_value(Parser *ps) {
    skip_ws(ps);
    if (ps->p >= ps->end || ++ps->depth > 64)
        return NULL;
    const char *start = ps->p;
    Json *j = NULL;
    switch (*ps->p) {
    case '{': j = parse_container(ps, J_OBJ); break;
    case '[': j = parse_container(ps, J_ARR); break;
    case '"': j = parse_string(ps); break;
    case 't': if (literal(ps, "true")) { j = node(J_BOOL); j->i = 1; } break;
    case 'f': if (literal(ps, "false")) { j = node(J_BOOL); j->i = 0; } break;
    case 'n': if (literal(ps, "null")) j = node(J_NULL); break;
    default: j = parse_number(ps);
    }
    ps->depth--;
    if (j) {
        j->src = start;
        j->srclen = (size_t)(ps->p - start);
    }
    return j;
}

static Json *parse_document(const char *text, size_t n) {
    Parser ps = {text, text + n, 0};
    Json *j = parse_value(&ps);
    skip_ws(&ps);
    if (j && ps.p != ps.end) {
        json_free(j);
        return NULL;
    }
    return j;
}

static Json *member(const Json *obj, const char *key) {
    if (!obj || obj->type != J_OBJ)
        return NULL;
    for (size_t k = 0; k < obj->n; k++)
        if (strcmp(obj->keys[k], key) == 0)
            return obj->items[k];
    return NULL;
}

/* {"b64": "..."} decoded (as binascii.a2b_base64: characters outside the alphabet skipped). */
static int b64_decode(const Json *j, unsigned char **out, size_t *outlen) {
    if (!j || j->type != J_OBJ || j->n != 1 || strcmp(j->keys[0], "b64") != 0 ||
        j->items[0]->type != J_STR)
        return 0;
    const Json *s = j->items[0];
    unsigned char *o = malloc(s->slen / 4 * 3 + 4);
    if (!o)
        return 0;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t k = 0; k < s->slen; k++) {
        const char *pos = s->s[k] ? strchr(B64, s->s[k]) : NULL;
        if (s->s[k] == '=')
            break;
        if (!pos)
            continue;
        acc = acc << 6 | (uint32_t)(pos - B64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[n++] = (unsigned char)(acc >> bits);
        }
    }
    *out = o;
    *outlen = n;
    return 1;
}

#endif
