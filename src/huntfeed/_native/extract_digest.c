/* The digest's candidate windows (huntfeed.extract.digest.windows) in one pass over the text.
 *
 * The pure-Python twin runs 27 literal-led regex passes plus one over a byte copy of the text;
 * here every anchor is tried at each position in one loop, each with the state its own
 * finditer would have (where its next search resumes, the held match of the reach-1/2 anchors),
 * so the spans are the same ones, sorted and merged the same way. Character classes follow
 * Python's `re` on str: \s is Py_UNICODE_ISSPACE, \w alnum or '_', \d Py_UNICODE_ISDECIMAL,
 * and the case-insensitive words of the '(' anchor also take U+212A for k and U+017F for s.
 * Every index is a bounds-checked Py_ssize_t; nothing here can read past the buffer.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKEN 2100
#define SHORT_LINE 160
#define MERGE_GAP 4
#define LINE_REACH 600

typedef struct {
    Py_ssize_t s, e;
} Span;

typedef struct {
    Span *v;
    Py_ssize_t n, cap;
} Spans;

typedef struct {
    const Py_UCS4 *m; /* the masked text: short-line runs, tabs and line ends blanked */
    const void *data; /* the text itself, read for its line ends */
    int kind;
    Py_ssize_t n;
    Spans *out;
    int failed;
} Ctx;

/* The state finditer keeps for one anchor: where its next search starts, and for reach 1/2
 * the end of the last window's token and the match held back inside it. */
typedef struct {
    Py_ssize_t resume, run_end, held_a, held_b;
} State;

enum {
    P_DOT, P_AT0, P_AT1, P_LBRK, P_LBRC, P_LT, P_BSL, P_CARET, P_RBRK, P_RBRC, P_LPAR, P_RPAR,
    P_COLON, P_SLASH, P_DOTW, P_A, P_WDOT, P_COMMA, P_CVE, P_VE, P_HK, P_MOZ, P_PCT, P_TILDE,
    P_TA, P_SN, P_US, P_DIGITS, P_COUNT
};

static const int REACH[P_COUNT] = {
    [P_DOT] = 3, [P_AT0] = 0, [P_AT1] = 1, [P_LBRK] = 1, [P_LBRC] = 1, [P_LT] = 1, [P_BSL] = 1,
    [P_CARET] = 1, [P_RBRK] = 1, [P_RBRC] = 1, [P_LPAR] = 1, [P_RPAR] = 1, [P_COLON] = 3,
    [P_SLASH] = 3, [P_DOTW] = 1, [P_A] = 1, [P_WDOT] = 0, [P_COMMA] = 0, [P_CVE] = 1, [P_VE] = 1,
    [P_HK] = 2, [P_MOZ] = 2, [P_PCT] = 2, [P_TILDE] = 2, [P_TA] = 0, [P_SN] = 1, [P_US] = 0,
    [P_DIGITS] = 0,
};

static int spans_add(Ctx *c, Py_ssize_t s, Py_ssize_t e) {
    Spans *sp = c->out;
    if (sp->n == sp->cap) {
        Py_ssize_t cap = sp->cap ? sp->cap * 2 : 256;
        if (cap > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(Span)) {
            c->failed = 1;
            return -1;
        }
        Span *v = PyMem_Realloc(sp->v, (size_t)cap * sizeof(Span));
        if (v == NULL) {
            c->failed = 1;
            return -1;
        }
        sp->v = v;
        sp->cap = cap;
    }
    sp->v[sp->n].s = s;
    sp->v[sp->n].e = e;
    sp->n++;
    return 0;
}

static inline Py_UCS4 at(const Ctx *c, Py_ssize_t i) { return (i >= 0 && i < c->n) ? c->m[i] : 0xFFFFFFFFu; }

static inline int is_word(Py_UCS4 ch) { return ch != 0xFFFFFFFFu && (ch == '_' || Py_UNICODE_ISALNUM(ch)); }

static inline int is_dec(Py_UCS4 ch) { return ch != 0xFFFFFFFFu && Py_UNICODE_ISDECIMAL(ch); }

static inline int is_ascii_alpha(Py_UCS4 ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'); }

static inline int is_ascii_alnum(Py_UCS4 ch) { return is_ascii_alpha(ch) || (ch >= '0' && ch <= '9'); }

/* ``masked.rfind(" ", lo, pos) + 1``, or lo: the start of the token around ``pos``. */
static Py_ssize_t token_start(const Ctx *c, Py_ssize_t pos) {
    Py_ssize_t lo = pos > MAX_TOKEN ? pos - MAX_TOKEN : 0;
    for (Py_ssize_t k = pos - 1; k >= lo; k--)
        if (c->m[k] == ' ') return k + 1;
    return lo;
}

/* ``masked.find(" ", pos, pos + MAX_TOKEN)``, or the capped end. */
static Py_ssize_t token_end(const Ctx *c, Py_ssize_t pos) {
    Py_ssize_t hi = pos < c->n - MAX_TOKEN ? pos + MAX_TOKEN : c->n;
    for (Py_ssize_t k = pos; k < hi; k++)
        if (c->m[k] == ' ') return k;
    return hi;
}

/* Where ``[^ ]{0,2100}`` started at ``j`` ends (greedy, nothing after it). */
static Py_ssize_t rest(const Ctx *c, Py_ssize_t j) {
    Py_ssize_t hi = j < c->n - MAX_TOKEN ? j + MAX_TOKEN : c->n;
    while (j < hi && c->m[j] != ' ') j++;
    return j;
}

static inline int text_nl(const Ctx *c, Py_ssize_t i) { return PyUnicode_READ(c->kind, c->data, i) == '\n'; }

static Py_ssize_t line_end(const Ctx *c, Py_ssize_t pos) {
    Py_ssize_t hi = pos < c->n - LINE_REACH ? pos + LINE_REACH : c->n;
    for (Py_ssize_t k = pos; k < hi; k++)
        if (text_nl(c, k)) return k;
    return hi;
}

/* Widen a token by one token each side across at most 3 blanks, never across a line end. */
static void extend(const Ctx *c, Py_ssize_t *s, Py_ssize_t *e) {
    Py_ssize_t k = *s;
    while (k > 0 && *s - k < 4 && c->m[k - 1] == ' ' && !text_nl(c, k - 1)) k--;
    if (k > 0) *s = token_start(c, k);
    k = *e;
    while (k < c->n && k - *e < 4 && c->m[k] == ' ' && !text_nl(c, k)) k++;
    if (k < c->n) *e = token_end(c, k);
}

/* The window of a reach-1/2 match [a, b); returns its token's end. */
static Py_ssize_t window(Ctx *c, Py_ssize_t a, Py_ssize_t b, int reach) {
    Py_ssize_t s = token_start(c, a);
    Py_ssize_t end = b > a ? token_end(c, b) : b;
    Py_ssize_t e = end;
    if (reach == 1) {
        extend(c, &s, &e);
    } else {
        Py_ssize_t le = line_end(c, e);
        if (le > e) e = le;
    }
    spans_add(c, s, e);
    return end;
}

static inline int ci(const Ctx *c, Py_ssize_t i, char lower) {
    Py_UCS4 ch = at(c, i);
    if (ch < 128) return (ch | 0x20) == (Py_UCS4)lower && is_ascii_alpha(ch);
    return (lower == 'k' && ch == 0x212A) || (lower == 's' && ch == 0x17F);
}

static int ci_word(const Ctx *c, Py_ssize_t i, const char *w) {
    for (; *w; w++, i++)
        if (!ci(c, i, *w)) return 0;
    return 1;
}

static int lit(const Ctx *c, Py_ssize_t i, const char *w) {
    for (; *w; w++, i++)
        if (at(c, i) != (Py_UCS4)(unsigned char)*w) return 0;
    return 1;
}

/* The '(' anchor: blanks, then a mark or a defang word (case-insensitive). End or -1. */
static Py_ssize_t match_lpar(const Ctx *c, Py_ssize_t i) {
    Py_ssize_t j = i + 1;
    int w = 0;
    while (w < 3 && (at(c, j) == ' ' || at(c, j) == '\t')) j++, w++;
    Py_UCS4 ch = at(c, j);
    if (ch == '.' || ch == ',' || ch == '@' || ch == '/' || ch == ':' || ch == '-') return j + 1;
    if (ci_word(c, j, "dot")) return j + 3;
    if ((ci_word(c, j, "at") || ci_word(c, j, "et")) && !is_word(at(c, j + 2))) return j + 2;
    if (ci_word(c, j, "arroba")) return j + 6;
    if (ci_word(c, j, "punto") || ci_word(c, j, "punkt")) return j + 5;
    if (ci_word(c, j, "www")) return j + 3;
    if (ci_word(c, j, "http")) return ci(c, j + 4, 's') ? j + 5 : j + 4;
    if (ci_word(c, j, "hxxp")) return ci(c, j + 4, 's') ? j + 5 : j + 4;
    return -1;
}

static Py_ssize_t match_comma(const Ctx *c, Py_ssize_t i) {
    Py_ssize_t j = i + 1;
    int d = 0;
    while (d < 4 && is_dec(at(c, j))) j++, d++;
    if (d < 1 || d > 3 || at(c, j) != ',' || !is_dec(at(c, j + 1))) return -1;
    return rest(c, j + 2);
}

static Py_ssize_t match_under(const Ctx *c, Py_ssize_t i) {
    if (at(c, i + 1) == '_') return rest(c, i + 2);
    for (Py_ssize_t k = i + 1; k < i + 13; k++) {
        Py_UCS4 ch = at(c, k);
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return -1;
    }
    return at(c, i + 13) == '_' ? rest(c, i + 14) : -1;
}

static Py_ssize_t match_ta(const Ctx *c, Py_ssize_t i) {
    Py_ssize_t j = i + 1;
    if (at(c, j) == 'A') j++;
    for (Py_ssize_t k = j; k < j + 4; k++)
        if (!is_dec(at(c, k))) return -1;
    return rest(c, j + 4);
}

static Py_ssize_t match_digits(const Ctx *c, Py_ssize_t i) {
    for (Py_ssize_t k = i + 1; k < i + 16; k++)
        if (!is_ascii_alnum(at(c, k))) return -1;
    return rest(c, i + 16);
}

static inline int colon_next(Py_UCS4 ch) {
    return ch == '/' || ch == '\\' || ch == ']' || ch == ')' || ch == '_' || ch == ':' || (ch >= '0' && ch <= '9') ||
           (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* Reach 3: a token (reach 0) or, when ``*grp`` is set, a spaced style (reach 1). */
static Py_ssize_t match_reach3(const Ctx *c, int p, Py_ssize_t i, int *grp) {
    Py_UCS4 prev = at(c, i - 1), next = at(c, i + 1);
    *grp = 0;
    if (p == P_DOT) {
        if (prev == ' ' && next == ' ') return *grp = 1, i + 2;
        if (next != 0xFFFFFFFFu && next != '.' && !Py_UNICODE_ISSPACE(next)) return rest(c, i + 2);
        return -1;
    }
    if (p == P_COLON) {
        if (prev == ' ' && next == '/') return *grp = 1, i + 2;
        return colon_next(next) ? rest(c, i + 2) : -1;
    }
    if (next != '/') return -1; /* P_SLASH */
    if (at(c, i + 2) == ' ') return *grp = 1, i + 3;
    return rest(c, i + 2);
}

/* The end of anchor ``p``'s match at ``i`` (its first character is known to be there), or -1. */
static Py_ssize_t match(const Ctx *c, int p, Py_ssize_t i, int *grp) {
    *grp = 0;
    switch (p) {
    case P_DOT: case P_COLON: case P_SLASH: return match_reach3(c, p, i, grp);
    case P_AT0: return rest(c, i + 1);
    case P_AT1: return at(c, i - 1) == ' ' ? i + 1 : at(c, i + 1) == ' ' ? i + 2 : -1;
    case P_LBRK: case P_LBRC: case P_LT: case P_BSL: case P_CARET: return i + 1;
    case P_RBRK: case P_RBRC:
        return is_ascii_alpha(at(c, i - 2)) && is_ascii_alpha(at(c, i - 1)) && is_word(at(c, i + 1)) ? i + 1 : -1;
    case P_LPAR: return match_lpar(c, i);
    case P_RPAR: return is_word(at(c, i + 1)) ? i + 2 : -1;
    case P_DOTW: return lit(c, i, "DOT") ? i + 3 : -1;
    case P_A: {
        Py_UCS4 n1 = at(c, i + 1);
        if (n1 == 'T' || n1 == 'S') return i + 2;
        return n1 == 't' && at(c, i + 2) == ' ' ? i + 3 : -1;
    }
    case P_WDOT: return lit(c, i, "-dot-") ? rest(c, i + 5) : -1;
    case P_COMMA: return match_comma(c, i);
    case P_CVE: return lit(c, i, "CVE") || lit(c, i, "Cve") ? i + 3 : -1;
    case P_VE: return at(c, i - 1) == 'c' && at(c, i + 1) == 'e' ? i + 2 : -1;
    case P_SN: return at(c, i - 1) == 'a' && at(c, i + 1) == 'n' ? i + 2 : -1;
    case P_HK: return at(c, i + 1) == 'K' ? i + 2 : -1;
    case P_MOZ: return lit(c, i, "Mozilla/") ? i + 8 : -1;
    case P_PCT: return at(c, i + 1) == '\\' ? i + 2 : -1;
    case P_TILDE: return at(c, i + 1) == '/' ? i + 2 : -1;
    case P_TA: return match_ta(c, i);
    case P_US: return match_under(c, i);
    case P_DIGITS: return match_digits(c, i);
    default: return -1;
    }
}

/* One match [a, b) of anchor ``p``, handled as digest.windows handles it. */
static void found(Ctx *c, State *st, int p, Py_ssize_t a, Py_ssize_t b, int grp) {
    int reach = REACH[p];
    if (reach == 0 || reach == 3) {
        if (grp) {
            Py_ssize_t s = token_start(c, a), e = token_end(c, b);
            extend(c, &s, &e);
            spans_add(c, s, e);
        } else {
            spans_add(c, token_start(c, a), b);
        }
        return;
    }
    if (b <= st->run_end) {
        st->held_a = a, st->held_b = b;
        return;
    }
    if (st->held_a >= 0) {
        st->run_end = window(c, st->held_a, st->held_b, reach);
        st->held_a = -1;
        if (b <= st->run_end) {
            st->held_a = a, st->held_b = b;
            return;
        }
    }
    st->run_end = window(c, a, b, reach);
}

static inline void try_at(Ctx *c, State *st, int p, Py_ssize_t i) {
    if (i < st[p].resume) return;
    int grp;
    Py_ssize_t b = match(c, p, i, &grp);
    if (b < 0) return;
    st[p].resume = b;
    found(c, &st[p], p, i, b, grp);
}

/* The first characters of the anchors: '.', '@', the brackets and marks, the letters of DOT, AT,
 * CVE, cve, HK, Mozilla/, TA1234, asn, and the digits that start a hash run. */
static const unsigned char LEAD[128] = {
    ['.'] = 1, ['@'] = 1, ['['] = 1, ['{'] = 1, ['<'] = 1, ['\\'] = 1, ['^'] = 1, [']'] = 1, ['}'] = 1, ['('] = 1,
    [')'] = 1, [':'] = 1, ['/'] = 1, ['D'] = 1, ['A'] = 1, ['-'] = 1, [','] = 1, ['C'] = 1, ['v'] = 1, ['H'] = 1,
    ['M'] = 1, ['%'] = 1, ['~'] = 1, ['T'] = 1, ['s'] = 1, ['_'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
};

static void scan(Ctx *c) {
    State st[P_COUNT];
    for (int p = 0; p < P_COUNT; p++) st[p] = (State){0, -1, -1, -1};
    const Py_UCS4 *m = c->m;
    for (Py_ssize_t i = 0; i < c->n && !c->failed; i++) {
        Py_UCS4 ch = m[i];
        if (ch >= 128 || !LEAD[ch]) continue; /* most characters lead no anchor: one look-up */
        switch (ch) {
        case '.': try_at(c, st, P_DOT, i); break;
        case '@': try_at(c, st, P_AT0, i); try_at(c, st, P_AT1, i); break;
        case '[': try_at(c, st, P_LBRK, i); break;
        case '{': try_at(c, st, P_LBRC, i); break;
        case '<': try_at(c, st, P_LT, i); break;
        case '\\': try_at(c, st, P_BSL, i); break;
        case '^': try_at(c, st, P_CARET, i); break;
        case ']': try_at(c, st, P_RBRK, i); break;
        case '}': try_at(c, st, P_RBRC, i); break;
        case '(': try_at(c, st, P_LPAR, i); break;
        case ')': try_at(c, st, P_RPAR, i); break;
        case ':': try_at(c, st, P_COLON, i); break;
        case '/': try_at(c, st, P_SLASH, i); break;
        case 'D': try_at(c, st, P_DOTW, i); break;
        case 'A': try_at(c, st, P_A, i); break;
        case '-': try_at(c, st, P_WDOT, i); break;
        case ',': try_at(c, st, P_COMMA, i); break;
        case 'C': try_at(c, st, P_CVE, i); break;
        case 'v': try_at(c, st, P_VE, i); break;
        case 'H': try_at(c, st, P_HK, i); break;
        case 'M': try_at(c, st, P_MOZ, i); break;
        case '%': try_at(c, st, P_PCT, i); break;
        case '~': try_at(c, st, P_TILDE, i); break;
        case 'T': try_at(c, st, P_TA, i); break;
        case 's': try_at(c, st, P_SN, i); break;
        case '_': try_at(c, st, P_US, i); break;
        default:
            if (ch >= '0' && ch <= '9') try_at(c, st, P_DIGITS, i);
        }
    }
    for (int p = 0; p < P_COUNT && !c->failed; p++)
        if (st[p].held_a >= 0) window(c, st[p].held_a, st[p].held_b, REACH[p]);
}

/* Blank runs of short lines (1-160 characters, one after another), tabs and line ends; each
 * run is also a window of its own. */
static int mask(Ctx *c, Py_UCS4 *m) {
    Py_ssize_t n = c->n, p = 0, run_s = -1, run_e = -1;
    while (p <= n) { /* the lines, read in the copy before its line ends are blanked */
        Py_ssize_t q = p;
        while (q < n && m[q] != '\n') q++;
        Py_ssize_t len = q - p;
        if (len >= 1 && len <= SHORT_LINE) {
            if (run_s >= 0 && run_e + 1 == p) {
                run_e = q;
            } else {
                if (run_s >= 0 && spans_add(c, run_s, run_e) < 0) return -1;
                run_s = p, run_e = q;
            }
        }
        p = q + 1;
    }
    if (run_s >= 0 && spans_add(c, run_s, run_e) < 0) return -1;
    for (Py_ssize_t i = 0; i < n; i++)
        if (m[i] == '\n' || m[i] == '\t') m[i] = ' ';
    for (Py_ssize_t k = 0; k < c->out->n; k++)
        for (Py_ssize_t i = c->out->v[k].s; i < c->out->v[k].e; i++) m[i] = ' ';
    return 0;
}

static int cmp_span(const void *x, const void *y) {
    const Span *a = x, *b = y;
    if (a->s != b->s) return a->s < b->s ? -1 : 1;
    return a->e < b->e ? -1 : a->e > b->e;
}

static PyObject *merged(Spans *sp) {
    PyObject *out = PyList_New(0);
    if (out == NULL || sp->n == 0) return out;
    qsort(sp->v, (size_t)sp->n, sizeof(Span), cmp_span);
    Py_ssize_t w = 0;
    for (Py_ssize_t k = 1; k < sp->n; k++) {
        if (sp->v[k].s <= sp->v[w].e + MERGE_GAP) {
            if (sp->v[k].e > sp->v[w].e) sp->v[w].e = sp->v[k].e;
        } else {
            sp->v[++w] = sp->v[k];
        }
    }
    for (Py_ssize_t k = 0; k <= w; k++) {
        PyObject *t = Py_BuildValue("(nn)", sp->v[k].s, sp->v[k].e);
        if (t == NULL || PyList_Append(out, t) < 0) {
            Py_XDECREF(t);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(t);
    }
    return out;
}

static PyObject *windows(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "windows() argument must be str, not %.100s", Py_TYPE(arg)->tp_name);
        return NULL;
    }
    if (PyUnicode_READY(arg) < 0) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    Spans sp = {NULL, 0, 0};
    Ctx c = {NULL, PyUnicode_DATA(arg), PyUnicode_KIND(arg), n, &sp, 0};
    if ((size_t)n >= PY_SSIZE_T_MAX / sizeof(Py_UCS4)) return PyErr_NoMemory();
    Py_UCS4 *m = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_UCS4));
    if (m == NULL) return PyErr_NoMemory();
    if (PyUnicode_AsUCS4(arg, m, n + 1, 1) == NULL) { /* the text widened in one call */
        PyMem_Free(m);
        return NULL;
    }
    c.m = m;
    PyObject *out = NULL;
    if (mask(&c, m) == 0) scan(&c);
    if (c.failed)
        PyErr_NoMemory();
    else
        out = merged(&sp);
    PyMem_Free(m);
    PyMem_Free(sp.v);
    return out;
}

static PyMethodDef METHODS[] = {
    {"windows", windows, METH_O, "windows(text) -> sorted, merged (start, end) spans that may hold an indicator."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "extract_digest", "C twin of huntfeed.extract.digest.windows.",
                                    -1, METHODS, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_extract_digest(void) { return PyModule_Create(&MODULE); }
