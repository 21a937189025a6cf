/* The outline's line tests (huntfeed.extract.sections._evidence and _listed) without a pattern pass.
 *
 * evidence(text, a, b): text[a:b] holds a defanged value, an IPv4 address, a 32-128 character
 * hex digest or an e-mail address, as the twin's patterns say (their look-behinds see nothing
 * before text[a:b]: the twin searches the slice). listed(text, a, b): a quarter of the items of
 * text[a:b] (stripped lines that are not sentences) hold evidence. Classes follow Python's `re`
 * on str: \d is Py_UNICODE_ISDECIMAL, \w alnum or '_', and [a-z] under IGNORECASE also takes
 * U+0130, U+0131, U+017F and U+212A. a and b are read as a slice's bounds (negative, past the end).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t lo, hi; /* the slice: nothing outside it exists for the patterns */
} Line;

#define NONE 0xFFFFFFFFu

static inline Py_UCS4 ch_at(const Line *l, Py_ssize_t i) {
    return (i >= l->lo && i < l->hi) ? PyUnicode_READ(l->kind, l->data, i) : NONE;
}

static inline int is_word(Py_UCS4 c) {
    if (c < 128) return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
    return c != NONE && Py_UNICODE_ISALNUM(c);
}
static inline int is_dec(Py_UCS4 c) { return c != NONE && (c < 128 ? (c >= '0' && c <= '9') : Py_UNICODE_ISDECIMAL(c)); }
static inline int is_hex(Py_UCS4 c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline int ci_eq(Py_UCS4 c, char lower) { return c < 128 && (c | 0x20) == (Py_UCS4)lower; }
static inline int ci_letter(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == 0x130 || c == 0x131 || c == 0x17F || c == 0x212A;
}

static int lit_at(const Line *l, Py_ssize_t i, const char *w) {
    for (; *w; w++, i++)
        if (ch_at(l, i) != (Py_UCS4)(unsigned char)*w) return 0;
    return 1;
}

static int ci_at(const Line *l, Py_ssize_t i, const char *w) {
    for (; *w; w++, i++)
        if (!ci_eq(ch_at(l, i), *w)) return 0;
    return 1;
}

static int contains(const Line *l, const char *w) {
    for (Py_ssize_t i = l->lo; i < l->hi; i++)
        if (lit_at(l, i, w)) return 1;
    return 0;
}

/* \[(?:\.\]|:\]|://\]|@\]|(?i:dot|at)\])|\(\.\)|\{\.\} */
static int defanged_at(const Line *l, Py_ssize_t i) {
    Py_UCS4 c = ch_at(l, i);
    if (c == '(') return lit_at(l, i, "(.)");
    if (c == '{') return lit_at(l, i, "{.}");
    if (c != '[') return 0;
    return lit_at(l, i, "[.]") || lit_at(l, i, "[:]") || lit_at(l, i, "[://]") || lit_at(l, i, "[@]") ||
           (ci_at(l, i + 1, "dot") && ch_at(l, i + 4) == ']') || (ci_at(l, i + 1, "at") && ch_at(l, i + 3) == ']');
}

/* (?i)[\w.+-]@[\w-]+\.[a-z], tried at the '@' at ``i`` */
static int email_at(const Line *l, Py_ssize_t i) {
    Py_UCS4 b = ch_at(l, i - 1);
    if (!(is_word(b) || b == '.' || b == '+' || b == '-')) return 0;
    Py_ssize_t j = i + 1;
    while (is_word(ch_at(l, j)) || ch_at(l, j) == '-') j++;
    return j > i + 1 && ch_at(l, j) == '.' && ci_letter(ch_at(l, j + 1));
}

/* A run of 1-3 decimals at ``*j`` (the next character not one): advances ``*j``. */
static int octet(const Line *l, Py_ssize_t *j) {
    Py_ssize_t k = *j;
    while (k - *j < 4 && is_dec(ch_at(l, k))) k++;
    if (k == *j || k - *j > 3) return 0;
    *j = k;
    return 1;
}

/* (?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w]|\.\d), tried at ``i`` */
static int ipv4_at(const Line *l, Py_ssize_t i) {
    Py_UCS4 b = ch_at(l, i - 1);
    if (is_word(b) || b == '.') return 0;
    Py_ssize_t j = i;
    for (int k = 0; k < 3; k++) {
        if (!octet(l, &j) || ch_at(l, j) != '.') return 0;
        j++;
    }
    if (!octet(l, &j)) return 0;
    Py_UCS4 n = ch_at(l, j);
    return !is_word(n) && !(n == '.' && is_dec(ch_at(l, j + 1)));
}

/* Fast class tests: ASCII by ranges, the rest through the Unicode tables (as `re` on str). */
static inline int dec_fast(Py_UCS4 c) { return c < 128 ? (c >= '0' && c <= '9') : Py_UNICODE_ISDECIMAL(c); }

/* What one pass over the line says: the twin's gates ([, (., {., five spellings of xxp, @), an '@',
 * how many dots, a decimal digit, and a maximal run of 32-128 ASCII hex characters (which settles it). */
typedef struct {
    int gated, at, dots, digit, hexrun;
} Scan;

#define SCAN_LINE(T)                                                                                   \
    do {                                                                                               \
        const T *p = (const T *)l->data;                                                               \
        Py_ssize_t run = 0;                                                                            \
        for (Py_ssize_t i = l->lo; i < l->hi; i++) {                                                   \
            Py_UCS4 c = p[i];                                                                          \
            if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')) {                 \
                run++;                                                                                 \
                if (c <= '9') sc->digit = 1;                                                           \
                continue;                                                                              \
            }                                                                                          \
            if (run >= 32 && run <= 128) sc->hexrun = 1;                                               \
            run = 0;                                                                                   \
            if (c == '.') sc->dots++;                                                                  \
            else if (c == '[') sc->gated = 1;                                                          \
            else if (c == '@') sc->gated = sc->at = 1;                                                 \
            else if ((c == '(' || c == '{') && i + 1 < l->hi && p[i + 1] == '.') sc->gated = 1;        \
            else if ((c == 'x' || c == 'X') && i + 2 < l->hi) {                                        \
                Py_UCS4 d = p[i + 1], e = p[i + 2];                                                    \
                if ((c == 'x' && ((d == 'x' && e == 'p') || (d == 'X' && e == 'p'))) ||                \
                    (c == 'X' && ((d == 'X' && (e == 'p' || e == 'P')) || (d == 'x' && e == 'p'))))    \
                    sc->gated = 1;                                                                     \
            } else if (c >= 128 && !sc->digit && Py_UNICODE_ISDECIMAL(c))                              \
                sc->digit = 1;                                                                         \
        }                                                                                              \
        if (run >= 32 && run <= 128) sc->hexrun = 1;                                                   \
    } while (0)

static void scan_line(const Line *l, Scan *sc) {
    memset(sc, 0, sizeof *sc);
    switch (l->kind) {
    case PyUnicode_1BYTE_KIND: SCAN_LINE(Py_UCS1); break;
    case PyUnicode_2BYTE_KIND: SCAN_LINE(Py_UCS2); break;
    default: SCAN_LINE(Py_UCS4); break;
    }
}

/* One pass for the gates and the digest run, then the defang, hxxp and e-mail tests only where
 * a gate is present and the address test only where three dots and a digit are (the twin tries
 * each pattern over the whole line). */
static int evidence_in(const Line *l) {
    Scan sc;
    scan_line(l, &sc);
    if (sc.hexrun) return 1;
    if (sc.gated) {
        for (Py_ssize_t i = l->lo; i < l->hi; i++)
            if (defanged_at(l, i)) return 1;
        for (Py_ssize_t i = l->lo; i < l->hi; i++)
            if (ci_at(l, i, "hxxp")) return 1;
        if (sc.at)
            for (Py_ssize_t i = l->lo; i < l->hi; i++)
                if (ch_at(l, i) == '@' && email_at(l, i)) return 1;
    }
    if (sc.dots >= 3 && sc.digit)
        for (Py_ssize_t i = l->lo; i < l->hi; i++)
            if (dec_fast(PyUnicode_READ(l->kind, l->data, i)) && ipv4_at(l, i)) return 1;
    return 0;
}

static int slice_args(PyObject *args, const char *name, PyObject **text, Py_ssize_t *a, Py_ssize_t *b) {
    if (!PyArg_ParseTuple(args, "Unn", text, a, b)) return -1;
    (void)name;
    if (PyUnicode_READY(*text) < 0) return -1;
    PySlice_AdjustIndices(PyUnicode_GET_LENGTH(*text), a, b, 1);
    return 0;
}

static PyObject *evidence(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *text;
    Py_ssize_t a, b;
    if (slice_args(args, "evidence", &text, &a, &b) < 0) return NULL;
    Line l = {PyUnicode_KIND(text), PyUnicode_DATA(text), a, b > a ? b : a};
    return PyBool_FromLong(evidence_in(&l));
}

static inline int is_space(Py_UCS4 c) { return c != NONE && Py_UNICODE_ISSPACE(c); }

/* A stripped line that is_prose calls a sentence: ends in . : ! ?, 13+ spaces, 14+ words, < 3 '/'. */
static int prose(const Line *l) {
    Py_UCS4 last = ch_at(l, l->hi - 1);
    if (!(last == '.' || last == ':' || last == '!' || last == '?')) return 0;
    Py_ssize_t spaces = 0, slashes = 0, words = 0;
    int in_word = 0;
    for (Py_ssize_t i = l->lo; i < l->hi; i++) {
        Py_UCS4 c = PyUnicode_READ(l->kind, l->data, i);
        spaces += c == ' ';
        slashes += c == '/';
        if (Py_UNICODE_ISSPACE(c)) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    return spaces >= 13 && words >= 14 && slashes < 3;
}

static PyObject *listed(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *text;
    Py_ssize_t a, b;
    if (slice_args(args, "listed", &text, &a, &b) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (b < a) b = a;
    Py_ssize_t cap = 64, count = 0;
    Py_ssize_t *items = PyMem_Malloc((size_t)cap * 2 * sizeof(Py_ssize_t));
    if (items == NULL) return PyErr_NoMemory();
    for (Py_ssize_t p = a; p <= b;) { /* text[a:b].split("\n"), each line stripped */
        Py_ssize_t q = p;
        while (q < b && PyUnicode_READ(kind, data, q) != '\n') q++;
        Line l = {kind, data, p, q};
        while (l.lo < l.hi && is_space(PyUnicode_READ(kind, data, l.lo))) l.lo++;
        while (l.hi > l.lo && is_space(PyUnicode_READ(kind, data, l.hi - 1))) l.hi--;
        if (l.hi > l.lo && !prose(&l)) {
            if (count == cap) {
                Py_ssize_t *grown = cap < PY_SSIZE_T_MAX / 64 ? PyMem_Realloc(items, (size_t)cap * 4 * sizeof(Py_ssize_t)) : NULL;
                if (grown == NULL) {
                    PyMem_Free(items);
                    return PyErr_NoMemory();
                }
                items = grown;
                cap *= 2;
            }
            items[2 * count] = l.lo;
            items[2 * count + 1] = l.hi;
            count++;
        }
        p = q + 1;
    }
    Py_ssize_t need = (count + 3) / 4, hits = 0, left = count;
    int result = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        if (hits + left < need) break; /* too few items left to make a quarter */
        left--;
        Line l = {kind, data, items[2 * k], items[2 * k + 1]};
        if (evidence_in(&l) && ++hits >= need) {
            result = 1;
            break;
        }
    }
    PyMem_Free(items);
    return PyBool_FromLong(result);
}

/* sections._extend: add the line span [a, b] to ``spans`` (a list of (start, end) tuples), merged
 * with the last span when it ends at most one character before ``a``. */
static int extend(PyObject *spans, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t n = PyList_GET_SIZE(spans);
    if (n > 0) {
        PyObject *last = PyList_GET_ITEM(spans, n - 1);
        if (!PyTuple_Check(last) || PyTuple_GET_SIZE(last) != 2) {
            PyErr_SetString(PyExc_TypeError, "spans: expected (start, end) tuples");
            return -1;
        }
        Py_ssize_t lo = PyLong_AsSsize_t(PyTuple_GET_ITEM(last, 0)), hi = PyLong_AsSsize_t(PyTuple_GET_ITEM(last, 1));
        if ((lo == -1 || hi == -1) && PyErr_Occurred()) return -1;
        if (hi + 1 >= a) {
            PyObject *t = Py_BuildValue("(nn)", lo, b + 1);
            return t == NULL ? -1 : PyList_SetItem(spans, n - 1, t);
        }
    }
    PyObject *t = Py_BuildValue("(nn)", a, b + 1);
    if (t == NULL) return -1;
    int rc = PyList_Append(spans, t);
    Py_DECREF(t);
    return rc;
}

static int list_args(PyObject *args, const char *fmt, PyObject **text, Py_ssize_t *a, Py_ssize_t *b, int *flag,
                     PyObject **spans) {
    int ok = flag ? PyArg_ParseTuple(args, fmt, text, a, b, flag, &PyList_Type, spans)
                  : PyArg_ParseTuple(args, fmt, text, a, b, &PyList_Type, spans);
    if (!ok || PyUnicode_READY(*text) < 0) return -1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(*text);
    if (*a < 0 || *b < *a || *b > n) {
        PyErr_SetString(PyExc_ValueError, "expected 0 <= a <= b <= len(text)");
        return -1;
    }
    return 0;
}

/* ioc_body(text, a, b, plain_headed, ioc): sections._ioc_body_py (the lines of an IOC section's
 * body but its sentences, added to ``ioc``; where a sentence ended a plain-headed list, else b).
 * A line the twin's _PROSE_END pattern stops at is one whose stripped text ends in . : ! ?, and
 * is_prose asks that too, so every line is read once here. */
static PyObject *ioc_body(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *text, *ioc;
    Py_ssize_t a, b;
    int plain_headed;
    if (list_args(args, "UnnpO!:ioc_body", &text, &a, &b, &plain_headed, &ioc) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t cur = a;
    int listed = 0;
    for (Py_ssize_t ls = a; ls <= b;) {
        Py_ssize_t le = ls;
        while (le < b && PyUnicode_READ(kind, data, le) != '\n') le++;
        Line l = {kind, data, ls, le};
        while (l.lo < l.hi && is_space(PyUnicode_READ(kind, data, l.lo))) l.lo++;
        while (l.hi > l.lo && is_space(PyUnicode_READ(kind, data, l.hi - 1))) l.hi--;
        if (l.hi > l.lo && prose(&l)) {
            if (ls > cur) { /* the lines before this sentence */
                if (!listed && ls - 1 > cur)
                    for (Py_ssize_t i = cur; i < ls - 1 && !listed; i++) listed = !is_space(PyUnicode_READ(kind, data, i));
                if (extend(ioc, cur, ls - 1) < 0) return NULL;
            }
            cur = le + 1;
            if (plain_headed && listed) return PyLong_FromSsize_t(cur);
        }
        if (le >= b) break;
        ls = le + 1;
    }
    if (cur <= b && extend(ioc, cur, b) < 0) return NULL;
    return PyLong_FromSsize_t(b);
}

/* table_rows(text, a, b, ioc): sections._table_rows_py (the lines of text[a:b] led by '|', or by
 * a space or tab and more blanks then '|', that hold two '|' and indicator evidence, added to ``ioc``). */
static PyObject *table_rows(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *text, *ioc;
    Py_ssize_t a, b;
    if (list_args(args, "UnnO!:table_rows", &text, &a, &b, NULL, &ioc) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t ls = a; ls < b;) {
        Py_ssize_t le = ls;
        while (le < b && PyUnicode_READ(kind, data, le) != '\n') le++;
        Py_ssize_t i = ls;
        Py_UCS4 c = i < le ? PyUnicode_READ(kind, data, i) : 0;
        if (c == ' ' || c == '\t') { /* [ \t][^\S\n]*+\| */
            i++;
            while (i < le && is_space(PyUnicode_READ(kind, data, i))) i++;
        }
        if (i < le && PyUnicode_READ(kind, data, i) == '|') {
            Py_ssize_t bars = 0;
            for (Py_ssize_t j = i; j < le && bars < 2; j++) bars += PyUnicode_READ(kind, data, j) == '|';
            Line l = {kind, data, ls, le};
            if (bars >= 2 && evidence_in(&l) && extend(ioc, ls, le) < 0) return NULL;
        }
        ls = le + 1;
    }
    Py_RETURN_NONE;
}

/* Does word ``w`` (lower-case ASCII) match text at ``i`` the way sections._caseless spells it: a
 * letter in either case (k also as U+212A, the Kelvin sign), any other character as itself? */
static int caseless_at(int kind, const void *data, Py_ssize_t i, Py_ssize_t b, const char *w, Py_ssize_t len) {
    if (i + len > b) return 0;
    for (Py_ssize_t k = 0; k < len; k++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i + k), want = (unsigned char)w[k];
        if (c == want) continue;
        if (want >= 'a' && want <= 'z' && (c == want - 32 || (want == 'k' && c == 0x212A))) continue;
        return 0;
    }
    return 1;
}

typedef struct {
    const char **words;
    Py_ssize_t *lens, n;
    PyObject *lead;
    unsigned char lead_ascii[128]; /* the ASCII lead characters */
    int lead_wide;                 /* a lead character outside ASCII */
    Py_ssize_t first[128][2];      /* per lower-case first letter: the range of words (sorted) */
} Heads;

static inline int space_not_nl(Py_UCS4 c) {
    if (c < 128) return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || (c >= 0x1c && c <= 0x1f);
    return Py_UNICODE_ISSPACE(c);
}

static int is_lead(const Heads *h, Py_UCS4 d) {
    if (d < 128) return h->lead_ascii[d];
    if (!h->lead_wide) return 0;
    int lkind = PyUnicode_KIND(h->lead);
    const void *ldata = PyUnicode_DATA(h->lead);
    for (Py_ssize_t k = 0; k < PyUnicode_GET_LENGTH(h->lead); k++)
        if (PyUnicode_READ(lkind, ldata, k) == d) return 1;
    return 0;
}

/* sections._candidates(True, heads)'s body matched at the line start ``i`` (endpos b). */
static int candidate_at(int kind, const void *data, Py_ssize_t i, Py_ssize_t b, const Heads *h) {
    while (i < b) { /* [^\S\n]*+ */
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\n' || !space_not_nl(c)) break;
        i++;
    }
    if (i >= b) return 0;
    Py_UCS4 c = PyUnicode_READ(kind, data, i);
    if (c == '#' || c == '=') return 1;
    Py_UCS4 c1 = i + 1 < b ? PyUnicode_READ(kind, data, i + 1) : 0, c2 = i + 2 < b ? PyUnicode_READ(kind, data, i + 2) : 0;
    if (c == '*' && c1 == '*') return 1;
    if ((c == '`' || c == '~') && c1 == c && c2 == c) return 1;
    /* [^\W\d_a-z][^a-z\n]*+(?=\n|\Z): a line with no lower-case ASCII letter, led by a word
     * character that is no digit, no '_' and no lower-case ASCII letter */
    int caps_lead = c < 128 ? (c >= 'A' && c <= 'Z') : (Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c));
    if (caps_lead) {
        Py_ssize_t j = i + 1;
        while (j < b) {
            Py_UCS4 d = PyUnicode_READ(kind, data, j);
            if (d == '\n' || (d >= 'a' && d <= 'z')) break;
            j++;
        }
        if (j >= b || PyUnicode_READ(kind, data, j) == '\n') return 1;
    }
    while (i < b && is_lead(h, PyUnicode_READ(kind, data, i))) i++; /* [lead]*+ */
    if (i >= b) return 0;
    c = PyUnicode_READ(kind, data, i);
    Py_UCS4 low = c == 0x212A ? 'k' : (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (low >= 128) return 0;
    for (Py_ssize_t k = h->first[low][0]; k < h->first[low][1]; k++)
        if (caseless_at(kind, data, i, b, h->words[k], h->lens[k])) return 1;
    return 0;
}

/* The next '\n' at or after ``i`` before ``b``, else b. */
static Py_ssize_t next_nl(int kind, const void *data, Py_ssize_t i, Py_ssize_t b) {
    if (kind == PyUnicode_1BYTE_KIND) {
        const char *p = memchr((const char *)data + i, '\n', (size_t)(b - i));
        return p ? (Py_ssize_t)(p - (const char *)data) : b;
    }
    while (i < b && PyUnicode_READ(kind, data, i) != '\n') i++;
    return i;
}

/* candidates(text, a, b, lead, words): the starts of the lines of text[a:b] (``a`` a line start)
 * that sections._candidates(True, (lead, words)) matches at, as _line_starts finds them: marked,
 * bold, a fence, an ALL-CAPS line, or a line whose words open (after the lead characters) with
 * one of ``words`` (lower-case ASCII, two characters or more). The twin: a pattern pass. */
static PyObject *candidates(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *text, *lead, *words;
    Py_ssize_t a, b;
    if (!PyArg_ParseTuple(args, "UnnUO!:candidates", &text, &a, &b, &lead, &PyTuple_Type, &words)) return NULL;
    if (PyUnicode_READY(text) < 0 || PyUnicode_READY(lead) < 0) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (a < 0 || b < a || b > n) {
        PyErr_SetString(PyExc_ValueError, "expected 0 <= a <= b <= len(text)");
        return NULL;
    }
    Heads h;
    h.n = PyTuple_GET_SIZE(words);
    h.lead = lead;
    h.words = PyMem_Calloc((size_t)(h.n ? h.n : 1), sizeof(char *));
    h.lens = PyMem_Calloc((size_t)(h.n ? h.n : 1), sizeof(Py_ssize_t));
    PyObject *out = NULL;
    if (h.words == NULL || h.lens == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < h.n; k++) {
        PyObject *w = PyTuple_GET_ITEM(words, k);
        if (!PyUnicode_Check(w)) {
            PyErr_SetString(PyExc_TypeError, "candidates: words are str");
            goto done;
        }
        h.words[k] = PyUnicode_AsUTF8AndSize(w, &h.lens[k]);
        if (h.words[k] == NULL) goto done;
        if (h.lens[k] < 2) {
            PyErr_SetString(PyExc_ValueError, "candidates: words have two characters or more");
            goto done;
        }
        for (Py_ssize_t q = 0; q < h.lens[k]; q++) {
            unsigned char ch = (unsigned char)h.words[k][q];
            if (ch >= 128 || (ch >= 'A' && ch <= 'Z') || ch == '\n') {
                PyErr_SetString(PyExc_ValueError, "candidates: words are lower-case ASCII on one line");
                goto done;
            }
        }
    }
    memset(h.lead_ascii, 0, sizeof h.lead_ascii);
    h.lead_wide = 0;
    for (Py_ssize_t k = 0; k < PyUnicode_GET_LENGTH(lead); k++) {
        Py_UCS4 d = PyUnicode_READ_CHAR(lead, k);
        if (d < 128) h.lead_ascii[d] = 1;
        else h.lead_wide = 1;
    }
    for (int c = 0; c < 128; c++) h.first[c][0] = h.first[c][1] = 0;
    for (Py_ssize_t k = 0; k < h.n; k++) { /* sorted: the words of one first letter are a run */
        unsigned char c = (unsigned char)h.words[k][0];
        if (k > 0 && (unsigned char)h.words[k - 1][0] > c) {
            PyErr_SetString(PyExc_ValueError, "candidates: words are sorted");
            goto done;
        }
        if (h.first[c][1] == 0) h.first[c][0] = k;
        h.first[c][1] = k + 1;
    }
    out = PyList_New(0);
    if (out == NULL) goto done;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t ls = a; ls < b;) {
        if (candidate_at(kind, data, ls, b, &h)) {
            PyObject *v = PyLong_FromSsize_t(ls);
            if (v == NULL || PyList_Append(out, v) < 0) {
                Py_XDECREF(v);
                Py_CLEAR(out);
                goto done;
            }
            Py_DECREF(v);
        }
        ls = next_nl(kind, data, ls, b) + 1;
    }
done:
    PyMem_Free(h.words);
    PyMem_Free(h.lens);
    return out;
}

/* str.isupper() of s[lo:hi] (unicodeobject.c's rule: no lower-case or title-case character and
 * one upper-case at least; one character: Py_UNICODE_ISUPPER). */
static int is_upper_run(int kind, const void *data, Py_ssize_t lo, Py_ssize_t hi) {
    if (hi - lo == 1) return Py_UNICODE_ISUPPER(PyUnicode_READ(kind, data, lo));
    int cased = 0;
    for (Py_ssize_t i = lo; i < hi; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (Py_UNICODE_ISLOWER(c) || Py_UNICODE_ISTITLE(c)) return 0;
        if (!cased && Py_UNICODE_ISUPPER(c)) cased = 1;
    }
    return cased;
}

/* sections._caps_heading on the stripped s[lo:hi] (at most 110 characters, led by an alphanumeric). */
static int caps_heading(int kind, const void *data, Py_ssize_t lo, Py_ssize_t hi) {
    if (PyUnicode_READ(kind, data, hi - 1) == '.' || !is_upper_run(kind, data, lo, hi)) return 0;
    Py_ssize_t words = 0, run = 0;
    for (Py_ssize_t i = lo; i <= hi; i++) { /* s.split(): at most 16 words of at most 30 characters */
        if (i < hi && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) {
            if (run++ == 0) words++;
            if (run > 30) return 0;
        } else {
            run = 0;
        }
    }
    if (words > 16) return 0;
    Py_ssize_t caps = 0; /* a maximal run of A-Z holding one of G-Z, three letters or more (_CAPS_WORD) */
    int late = 0;
    for (Py_ssize_t i = lo; i <= hi; i++) {
        Py_UCS4 c = i < hi ? PyUnicode_READ(kind, data, i) : 0;
        if (c >= 'A' && c <= 'Z') {
            caps++;
            late |= c >= 'G';
            continue;
        }
        if (late && caps >= 3) return 1;
        caps = 0;
        late = 0;
    }
    return 0;
}

/* classify(line, plain): sections.classify (the twin): (level, text, plain) for a heading line,
 * else None; ``plain`` (a callable or None) is called as the twin calls it, on the stripped line. */
static PyObject *classify(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *line, *plain;
    if (!PyArg_ParseTuple(args, "UO:classify", &line, &plain) || PyUnicode_READY(line) < 0) return NULL;
    int kind = PyUnicode_KIND(line);
    const void *data = PyUnicode_DATA(line);
    Py_ssize_t lo = 0, hi = PyUnicode_GET_LENGTH(line);
    while (lo < hi && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, lo))) lo++;
    while (hi > lo && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, hi - 1))) hi--;
    if (lo == hi || hi - lo > 110) Py_RETURN_NONE;
    Py_UCS4 c = PyUnicode_READ(kind, data, lo);
    if (c == '|') Py_RETURN_NONE;
    if (c == '#' || c == '=') { /* (#{1,6}|={1,6})[ \t]+(\S.*?)[ \t#=]*$ */
        Py_ssize_t i = lo;
        while (i < hi && PyUnicode_READ(kind, data, i) == c) i++;
        Py_ssize_t level = i - lo, g = i;
        while (g < hi && (PyUnicode_READ(kind, data, g) == ' ' || PyUnicode_READ(kind, data, g) == '\t')) g++;
        if (level > 6 || g == i || g >= hi || Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, g))) Py_RETURN_NONE;
        Py_ssize_t e = hi;
        while (e > g + 1) {
            Py_UCS4 d = PyUnicode_READ(kind, data, e - 1);
            if (d != ' ' && d != '\t' && d != '#' && d != '=') break;
            e--;
        }
        for (Py_ssize_t q = g; q < e; q++) /* '.' takes no line break */
            if (PyUnicode_READ(kind, data, q) == '\n') Py_RETURN_NONE;
        PyObject *text = PyUnicode_Substring(line, g, e);
        return text ? Py_BuildValue("(nNO)", level, text, Py_False) : NULL;
    }
    if (c == '*' && hi - lo >= 2 && PyUnicode_READ(kind, data, lo + 1) == '*') { /* \*\*([^*\n]{2,80})\*\*:?[ \t]*$ */
        Py_ssize_t k = lo + 2;
        while (k < hi && PyUnicode_READ(kind, data, k) != '*' && PyUnicode_READ(kind, data, k) != '\n') k++;
        Py_ssize_t len = k - lo - 2, r = k + 2;
        if (len < 2 || len > 80 || r > hi || PyUnicode_READ(kind, data, k) != '*' || PyUnicode_READ(kind, data, k + 1) != '*')
            Py_RETURN_NONE;
        if (r < hi && PyUnicode_READ(kind, data, r) == ':') r++;
        while (r < hi && (PyUnicode_READ(kind, data, r) == ' ' || PyUnicode_READ(kind, data, r) == '\t')) r++;
        if (r < hi) Py_RETURN_NONE;
        PyObject *text = PyUnicode_Substring(line, lo + 2, k);
        return text ? Py_BuildValue("(iNO)", 9, text, Py_False) : NULL;
    }
    if (Py_UNICODE_ISALNUM(c) && Py_UNICODE_ISUPPER(c) && caps_heading(kind, data, lo, hi)) {
        PyObject *text = PyUnicode_Substring(line, lo, hi);
        return text ? Py_BuildValue("(iNO)", 9, text, Py_False) : NULL;
    }
    if (plain == Py_None || hi - lo > 70) Py_RETURN_NONE;
    PyObject *text = PyUnicode_Substring(line, lo, hi);
    if (text == NULL) return NULL;
    PyObject *said = PyObject_CallOneArg(plain, text);
    int yes = said ? PyObject_IsTrue(said) : -1;
    Py_XDECREF(said);
    if (yes <= 0) {
        Py_DECREF(text);
        if (yes < 0) return NULL;
        Py_RETURN_NONE;
    }
    return Py_BuildValue("(iNO)", 9, text, Py_True);
}

static PyMethodDef METHODS[] = {
    {"evidence", evidence, METH_VARARGS, "evidence(text, a, b) -> text[a:b] holds indicator evidence."},
    {"listed", listed, METH_VARARGS, "listed(text, a, b) -> a quarter of text[a:b]'s items hold evidence."},
    {"ioc_body", ioc_body, METH_VARARGS, "ioc_body(text, a, b, plain_headed, ioc) -> where a sentence ended the list, else b."},
    {"classify", classify, METH_VARARGS, "classify(line, plain) -> (level, text, plain) for a heading line, else None."},
    {"candidates", candidates, METH_VARARGS, "candidates(text, a, b, lead, words) -> the candidate line starts."},
    {"table_rows", table_rows, METH_VARARGS, "table_rows(text, a, b, ioc): add the table rows that hold evidence."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "extract_sections",
                                    "C twins of huntfeed.extract.sections._evidence, _listed, _ioc_body and _table_rows.", -1, METHODS,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_extract_sections(void) { return PyModule_Create(&MODULE); }
