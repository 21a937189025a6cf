/* The refanger's bracket-led styles (huntfeed.extract.fang._bracket_tokens_py) in one loop.
 *
 * The twin runs the anchor pattern (_BR_ANCHOR_RE) and, at each anchor, the alternation of the
 * bracket, backslash and caret styles (_BR_RE); here both are read character by character, with
 * the same order of styles (the first that matches wins, as in the alternation), the same greedy
 * counts (none of these patterns can backtrack into a shorter match: each repeated token is
 * followed by characters it cannot start with) and the same settling of each match (a bracket
 * that closes the path's own, the blanks taken in before "[.]"). Classes follow Python's `re` on
 * str: \w is alnum or '_', \d Py_UNICODE_ISDECIMAL; the styles' letters are ASCII classes.
 * Returns (start, end, style) with style the index of the alternative (fang._BR_INFO).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NONE 0xFFFFFFFFu

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
} Text;

enum { BRDOT, BRAT, BROTHER, BRWWW, BRSLASH, BRCOLON, HALFDOT, CLOSEDOT3, CLOSEDOT5, CLOSEAT2, CLOSEAT6, BSDOT,
       BSAT, BSSLASH, STYLES };

static const int BACK[STYLES] = {[BRDOT] = -1, [BRAT] = -1, [CLOSEDOT3] = 3, [CLOSEDOT5] = 5, [CLOSEAT2] = 2,
                                 [CLOSEAT6] = 6};

static inline Py_UCS4 at(const Text *t, Py_ssize_t i) {
    return (i >= 0 && i < t->n) ? PyUnicode_READ(t->kind, t->data, i) : NONE;
}

static inline int in(Py_UCS4 c, const char *set) {
    if (c == NONE || c == 0 || c > 127) return 0;
    return strchr(set, (int)c) != NULL;
}

static inline int is_alnum_ascii(Py_UCS4 c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline int is_word(Py_UCS4 c) { return c != NONE && (c == '_' || Py_UNICODE_ISALNUM(c)); }
static inline int is_sp(Py_UCS4 c) { return c == ' ' || c == '\t'; }


/* The next index from ``i`` holding a character of ``table`` (ASCII), or with ``wide`` one of the
 * full-width marks; t->n when none. One tight loop per string kind: most characters are not marks. */
static inline int wide_mark(Py_UCS4 c) { return c == 0xFF0E || c == 0x3002 || c == 0xFF61 || c == 0xFF20; }

static Py_ssize_t next_mark(const Text *t, Py_ssize_t i, const unsigned char *table, int wide) {
    Py_ssize_t n = t->n;
    if (t->kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *p = t->data;
        while (i < n && (p[i] >= 128 || !table[p[i]])) i++;
    } else if (t->kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *p = t->data;
        while (i < n && (p[i] < 128 ? !table[p[i]] : !(wide && wide_mark(p[i])))) i++;
    } else {
        const Py_UCS4 *p = t->data;
        while (i < n && (p[i] < 128 ? !table[p[i]] : !(wide && wide_mark(p[i])))) i++;
    }
    return i;
}

/* ASCII letters in either case, digits as themselves: "dot" matches [dD][oO][tT], "d0t" [dD]0[tT]. */
static int word_at(const Text *t, Py_ssize_t i, const char *w) {
    for (; *w; w++, i++) {
        Py_UCS4 c = at(t, i);
        if (*w >= 'a' && *w <= 'z' ? !(c == (Py_UCS4)*w || c == (Py_UCS4)(*w - 32)) : c != (Py_UCS4)*w) return 0;
    }
    return 1;
}

/* One bracket token of a class ("[({<])}" and the like) or a backslash and one of ``escaped``. */
static Py_ssize_t token(const Text *t, Py_ssize_t j, const char *plain, const char *escaped) {
    Py_UCS4 c = at(t, j);
    if (in(c, plain)) return 1;
    if (c == '\\' && in(at(t, j + 1), escaped)) return 2;
    return 0;
}

static Py_ssize_t tokens(const Text *t, Py_ssize_t j, const char *plain, const char *escaped, int *count) {
    *count = 0;
    Py_ssize_t len;
    while (*count < 3 && (len = token(t, j, plain, escaped)) > 0) j += len, (*count)++;
    return j;
}

static Py_ssize_t blanks(const Text *t, Py_ssize_t j) {
    for (int k = 0; k < 3 && is_sp(at(t, j)); k++) j++;
    return j;
}

/* (?:\.|DOT|PUNTO|PUNKT|D0T) -- or, with ``comma``, ',' after them -- at j: its length, or 0. */
static Py_ssize_t dot_word(const Text *t, Py_ssize_t j, int comma) {
    if (at(t, j) == '.') return 1;
    if (word_at(t, j, "dot")) return 3;
    if (word_at(t, j, "punto") || word_at(t, j, "punkt")) return 5;
    if (word_at(t, j, "d0t")) return 3;
    return comma && at(t, j) == ',' ? 1 : 0;
}

static Py_ssize_t brdot(const Text *t, Py_ssize_t i) {
    int k;
    Py_ssize_t j = blanks(t, tokens(t, i, "[({<])}", "[({])}", &k));
    Py_ssize_t w = k ? dot_word(t, j, 1) : 0;
    if (!w) return -1;
    j = tokens(t, blanks(t, j + w), "])}>[({", "])}[({", &k);
    return k ? blanks(t, j) : -1;
}

static Py_ssize_t brat(const Text *t, Py_ssize_t i) {
    int k;
    Py_ssize_t j = blanks(t, tokens(t, i, "[({<", "[({", &k));
    if (!k) return -1;
    Py_ssize_t w = at(t, j) == '@' ? 1 : word_at(t, j, "at") || word_at(t, j, "et") ? 2 : word_at(t, j, "arroba") ? 6 : 0;
    if (!w) return -1;
    j = tokens(t, blanks(t, j + w), "])}>", "])}", &k);
    return k ? blanks(t, j) : -1;
}

static Py_ssize_t halfdot(const Text *t, Py_ssize_t i) {
    if (!in(at(t, i), "[({") || !is_alnum_ascii(at(t, i - 1))) return -1;
    static const char *const words[] = {".", "dot", "punto", "punkt", "d0t"};
    for (size_t k = 0; k < sizeof words / sizeof *words; k++) {
        Py_ssize_t len = (Py_ssize_t)strlen(words[k]);
        if (word_at(t, i + 1, words[k]) && is_alnum_ascii(at(t, i + 1 + len))) return i + 1 + len;
    }
    return -1;
}

/* A closing bracket after a spelled word glued to a letter or digit: "evil(dot)com" read from its ')'. */
static int closed_after(const Text *t, Py_ssize_t i, const char *w) {
    Py_ssize_t len = (Py_ssize_t)strlen(w);
    return word_at(t, i - len, w) && is_alnum_ascii(at(t, i - len - 1));
}

/* The end of style ``s``'s match at ``i``, or -1. */
static Py_ssize_t style_at(const Text *t, int s, Py_ssize_t i) {
    Py_UCS4 c = at(t, i), n1 = at(t, i + 1);
    int closer = in(c, "])}") && is_alnum_ascii(n1);
    switch (s) {
    case BRDOT: return brdot(t, i);
    case BRAT: return brat(t, i);
    case BROTHER: return in(c, "[(") && n1 == '-' && in(at(t, i + 2), "])") ? i + 3 : -1;
    case BRWWW: return in(c, "[(") && word_at(t, i + 1, "www") && in(at(t, i + 4), "])") && at(t, i + 5) == '.' ? i + 5 : -1;
    case BRSLASH: return in(c, "[(") && n1 == '/' && in(at(t, i + 2), "])") ? i + 3 : -1;
    case BRCOLON: {
        Py_UCS4 d = at(t, i + 3);
        return in(c, "[(") && n1 == ':' && in(at(t, i + 2), "])") && d != NONE && Py_UNICODE_ISDECIMAL(d) ? i + 3 : -1;
    }
    case HALFDOT: return halfdot(t, i);
    case CLOSEDOT3: return closer && closed_after(t, i, "dot") ? i + 1 : -1;
    case CLOSEDOT5: return closer && (closed_after(t, i, "punto") || closed_after(t, i, "punkt")) ? i + 1 : -1;
    case CLOSEAT2: return closer && (closed_after(t, i, "at") || closed_after(t, i, "et")) ? i + 1 : -1;
    case CLOSEAT6: return closer && closed_after(t, i, "arroba") ? i + 1 : -1;
    case BSDOT: {
        Py_UCS4 b = at(t, i - 1), a2 = at(t, i + 2);
        return in(c, "\\^") && (is_word(b) || b == ']') && n1 == '.' && (is_word(a2) || a2 == '[') ? i + 2 : -1;
    }
    case BSAT: {
        Py_UCS4 b = at(t, i - 1);
        return c == '\\' && n1 == '@' && (is_word(b) || in(b, ".+-")) && is_alnum_ascii(at(t, i + 2)) ? i + 2 : -1;
    }
    case BSSLASH: return c == '\\' && n1 == '/' ? i + 2 : -1;
    default: return -1;
    }
}

/* _BR_ANCHOR_RE at i: a mark where some style can start. */
static int anchor(const Text *t, Py_ssize_t i) {
    Py_UCS4 c = at(t, i), n1 = at(t, i + 1);
    const char *brackets = "[({<])}";
    int three = in(n1, brackets) && in(at(t, i + 2), brackets) && in(at(t, i + 3), brackets);
    if (in(c, "[({<")) {
        int letter = (n1 < 128 && n1 != NONE && ((n1 | 0x20) >= 'a' && (n1 | 0x20) <= 'z') && !in(n1 | 0x20, "adepw")) ||
                     n1 == '\n';
        return !three && !letter;
    }
    if (in(c, "])}")) return !three && n1 != '\n' && n1 != NONE;
    if (c == '\\') return in(n1, ".@/[({])}");
    return c == '^' && n1 == '.';
}

/* fang._closes: the bracket at pos closes one opened earlier in its token (200 characters at most). */
static int closes(const Text *t, Py_ssize_t pos) {
    Py_ssize_t start = pos > 200 ? pos - 200 : 0;
    for (Py_ssize_t k = pos - 1; k >= start; k--) {
        if (Py_UNICODE_ISSPACE(at(t, k))) {
            start = k + 1;
            break;
        }
    }
    Py_UCS4 close = at(t, pos), open = close == ')' ? '(' : close == ']' ? '[' : '{';
    Py_ssize_t opens = 0, closes_ = 0;
    for (Py_ssize_t k = start; k < pos; k++) {
        Py_UCS4 c = at(t, k);
        opens += c == open;
        closes_ += c == close;
    }
    return opens > closes_;
}

static int add(PyObject *out, Py_ssize_t s, Py_ssize_t e, int style) {
    PyObject *tup = Py_BuildValue("(nni)", s, e, style);
    if (tup == NULL) return -1;
    int rc = PyList_Append(out, tup);
    Py_DECREF(tup);
    return rc;
}

/* The characters a style can start with: one table look-up per character of the text. */
static const unsigned char MARK[128] = {['['] = 1, ['('] = 1, ['{'] = 1, ['<'] = 1, [']'] = 1, [')'] = 1, ['}'] = 1,
                                        ['\\'] = 1, ['^'] = 1};

static PyObject *bracket_tokens(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "bracket_tokens() argument must be str, not %.100s", Py_TYPE(arg)->tp_name);
        return NULL;
    }
    if (PyUnicode_READY(arg) < 0) return NULL;
    Text t = {PyUnicode_KIND(arg), PyUnicode_DATA(arg), PyUnicode_GET_LENGTH(arg)};
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    Py_ssize_t last = -1;
    for (Py_ssize_t i = next_mark(&t, 0, MARK, 0); i < t.n; i = next_mark(&t, i + 1, MARK, 0)) {
        Py_UCS4 c = PyUnicode_READ(t.kind, t.data, i);
        if (i < last || !anchor(&t, i)) continue;
        int s;
        Py_ssize_t end = -1;
        for (s = 0; s < STYLES && end < 0; s++) end = style_at(&t, s, i);
        if (end < 0) continue;
        s--;
        last = end;
        Py_ssize_t pos = i;
        if (in(c, ")]}") && closes(&t, i)) {
            pos++; /* "index(6)[.]html": the ')' closes the path's own '(', only "[.]" is a defang */
            if (pos >= last - 1) continue;
        }
        if (BACK[s] > 0) {
            pos -= BACK[s];
        } else if (BACK[s] < 0 && pos && is_sp(at(&t, pos - 1))) {
            Py_ssize_t k = pos; /* fang._spaces_before: at most three blanks */
            while (k > 0 && pos - k < 3 && is_sp(at(&t, k - 1))) k--;
            pos = k;
        }
        if (add(out, pos, last, s) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}


/* --- the styles not led by a bracket (fang._fast_tokens_py): one pass, each style's own finditer --- */

enum { HALFDOT_DOT, SPDOT, WORDDOT_DASH, WORDDOT_CAPS, SPAT_AT, SPAT_WORD, WORDAT, UNIDOT_FF0E, UNIDOT_3002,
       UNIDOT_FF61, UNIAT, FAST };

static int lit(const Text *t, Py_ssize_t i, const char *w) {
    for (; *w; w++, i++)
        if (at(t, i) != (Py_UCS4)(unsigned char)*w) return 0;
    return 1;
}

static inline int lower_digit(Py_UCS4 c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* [a-z0-9][a-z0-9-]{0,62} at j: its end, or -1 (a longer run has no end the pattern accepts). */
static Py_ssize_t label(const Text *t, Py_ssize_t j) {
    if (!lower_digit(at(t, j))) return -1;
    Py_ssize_t k = j + 1;
    while (k - j < 64 && (lower_digit(at(t, k)) || at(t, k) == '-')) k++;
    return k - j > 63 ? -1 : k;
}

/* spat's look-ahead: a host label, then a dot in any style (plain, " DOT", bracketed, escaped, full-width). */
static int at_next(const Text *t, Py_ssize_t j) {
    Py_ssize_t k = label(t, j);
    if (k < 0) return 0;
    Py_UCS4 c = at(t, k);
    if (c == '.' || c == 0xFF0E || c == 0x3002 || c == 0xFF61) return 1;
    if (is_sp(c) && lit(t, k + 1, "DOT")) return 1;
    if (c == '\\' && at(t, k + 1) == '.') return 1;
    Py_ssize_t b = blanks(t, k);
    if (!in(at(t, b), "[({<")) return 0;
    b = blanks(t, b + 1);
    return at(t, b) == '.' || word_at(t, b, "dot");
}

/* [a-z]{2,24}\b at j */
static int short_word(const Text *t, Py_ssize_t j) {
    Py_ssize_t k = j;
    while (k - j < 25 && at(t, k) >= 'a' && at(t, k) <= 'z') k++;
    return k - j >= 2 && k - j <= 24 && !is_word(at(t, k));
}

static inline int is_dec(Py_UCS4 c) { return c != NONE && Py_UNICODE_ISDECIMAL(c); }

/* The end of fast style ``s``'s match at ``i`` (its lead character is there), or -1. */
static Py_ssize_t fast_at(const Text *t, int s, Py_ssize_t i) {
    Py_UCS4 p1 = at(t, i - 1);
    switch (s) {
    case HALFDOT_DOT:
        return in(at(t, i + 1), "]}") && is_alnum_ascii(p1) && is_alnum_ascii(at(t, i + 2)) ? i + 2 : -1;
    case SPDOT: {
        if (p1 != ' ') return -1;
        Py_ssize_t j = blanks(t, i + 1);
        if (lower_digit(at(t, i - 2)) && short_word(t, j)) return j;
        return is_dec(at(t, i - 2)) && at(t, i + 1) == ' ' && is_dec(at(t, i + 2)) ? i + 2 : -1;
    }
    case WORDDOT_DASH:
        return lit(t, i, "-dot-") && lower_digit(p1) && at(t, i + 5) >= 'a' && at(t, i + 5) <= 'z' ? i + 5 : -1;
    case WORDDOT_CAPS: {
        if (!(at(t, i + 1) == 'O' && at(t, i + 2) == 'T')) return -1;
        Py_UCS4 c = at(t, blanks(t, i + 3));
        return c >= 'a' && c <= 'z' ? i + 3 : -1;
    }
    case SPAT_AT: {
        Py_ssize_t j = blanks(t, i + 1);
        return at_next(t, j) ? j : -1;
    }
    case SPAT_WORD: {
        if (!in(at(t, i + 1), "Tt") || !is_sp(at(t, i + 2))) return -1;
        Py_ssize_t j = blanks(t, i + 2);
        return at_next(t, j) ? j : -1;
    }
    case WORDAT: {
        if (at(t, i + 1) != 'T' || !lower_digit(p1)) return -1;
        Py_ssize_t k = label(t, i + 2);
        return k >= 0 && at(t, k) == '.' && at(t, k + 1) >= 'a' && at(t, k + 1) <= 'z' ? i + 2 : -1;
    }
    case UNIDOT_FF0E: case UNIDOT_3002: case UNIDOT_FF61:
        return is_alnum_ascii(p1) && is_alnum_ascii(at(t, i + 1)) ? i + 1 : -1;
    case UNIAT:
        return (is_alnum_ascii(p1) || in(p1, "._+-")) && is_alnum_ascii(at(t, i + 1)) ? i + 1 : -1;
    default: return -1;
    }
}

static Py_ssize_t spaces_before(const Text *t, Py_ssize_t pos) {
    Py_ssize_t k = pos;
    while (k > 0 && pos - k < 3 && is_sp(at(t, k - 1))) k--;
    return k;
}

/* fang._fast_token: where the replacement starts and ends, or 0 when the match refangs nothing. */
static int settle(const Text *t, int s, Py_ssize_t i, Py_ssize_t *start, Py_ssize_t *end) {
    *start = i;
    if (s == SPDOT) {
        *start = i - 1;
    } else if (s == WORDDOT_CAPS) {
        Py_ssize_t k = spaces_before(t, i);
        Py_UCS4 c = at(t, k - 1);
        if (k == 0 || !(Py_UNICODE_ISLOWER(c) || Py_UNICODE_ISDIGIT(c))) return 0;
        *start = k;
        Py_ssize_t m_end = *end;
        while (*end < t->n && *end - m_end < 3 && is_sp(at(t, *end))) (*end)++;
    } else if (s == SPAT_AT || s == SPAT_WORD) {
        Py_ssize_t k = spaces_before(t, i);
        Py_UCS4 c = at(t, k - 1);
        if (k == 0 || !(Py_UNICODE_ISALNUM(c) || in(c, "._+-"))) return 0;
        if (k == i && (*end - i == 1 || at(t, i) == 'A')) return 0; /* a plain '@', or "fooAT bar" */
        *start = k;
    }
    return 1;
}

typedef struct {
    Py_ssize_t s, e;
    int style;
} Found;

static const unsigned char FAST_LEAD[128] = {['.'] = 1, ['-'] = 1, ['D'] = 1, ['@'] = 1, ['A'] = 1};

static void try_fast(const Text *t, int s, Py_ssize_t i, Py_ssize_t *resume, Found *found, Py_ssize_t *count) {
    if (i < resume[s]) return;
    Py_ssize_t e = fast_at(t, s, i);
    if (e < 0) return;
    resume[s] = e;
    Py_ssize_t start;
    if (settle(t, s, i, &start, &e)) found[(*count)++] = (Found){start, e, s};
}

static PyObject *fast_tokens(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "fast_tokens() argument must be str, not %.100s", Py_TYPE(arg)->tp_name);
        return NULL;
    }
    if (PyUnicode_READY(arg) < 0) return NULL;
    Text t = {PyUnicode_KIND(arg), PyUnicode_DATA(arg), PyUnicode_GET_LENGTH(arg)};
    /* Each match holds its lead character and at most two styles share one: 2n entries suffice. */
    if (t.n > PY_SSIZE_T_MAX / (Py_ssize_t)(2 * sizeof(Found)) - 1) return PyErr_NoMemory();
    Found *found = PyMem_Malloc((size_t)(2 * t.n + 1) * sizeof(Found));
    if (found == NULL) return PyErr_NoMemory();
    Py_ssize_t resume[FAST] = {0}, count = 0;
    for (Py_ssize_t i = next_mark(&t, 0, FAST_LEAD, 1); i < t.n; i = next_mark(&t, i + 1, FAST_LEAD, 1)) {
        Py_UCS4 c = PyUnicode_READ(t.kind, t.data, i);
        switch (c) {
        case '.': try_fast(&t, HALFDOT_DOT, i, resume, found, &count); try_fast(&t, SPDOT, i, resume, found, &count); break;
        case '-': try_fast(&t, WORDDOT_DASH, i, resume, found, &count); break;
        case 'D': try_fast(&t, WORDDOT_CAPS, i, resume, found, &count); break;
        case '@': try_fast(&t, SPAT_AT, i, resume, found, &count); break;
        case 'A': try_fast(&t, SPAT_WORD, i, resume, found, &count); try_fast(&t, WORDAT, i, resume, found, &count); break;
        case 0xFF0E: try_fast(&t, UNIDOT_FF0E, i, resume, found, &count); break;
        case 0x3002: try_fast(&t, UNIDOT_3002, i, resume, found, &count); break;
        case 0xFF61: try_fast(&t, UNIDOT_FF61, i, resume, found, &count); break;
        case 0xFF20: try_fast(&t, UNIAT, i, resume, found, &count); break;
        default: break;
        }
    }
    PyObject *out = PyList_New(0);
    for (int s = 0; out != NULL && s < FAST; s++) /* style by style, as the twin's passes append them */
        for (Py_ssize_t k = 0; k < count; k++)
            if (found[k].style == s && add(out, found[k].s, found[k].e, s) < 0) {
                Py_CLEAR(out);
                break;
            }
    PyMem_Free(found);
    return out;
}

/* scheme_anchors(text) -> [pos, ...]: the twin of fang._open_scheme_anchors_py. The places a
 * scheme separator can be (_SCHEME_ANCHOR_RES: each "//" and "__" as finditer finds them, the
 * bracket before a ':' that follows one of "[({]", each ':' before '\' or ']'), in order, less
 * those _plain_scheme settles (an ordinary "http://x", "https://x", "ftp://x"): one pass instead
 * of four pattern passes, a sort and a Python call per anchor. */
static const unsigned char ANCHOR_LEAD[128] = {['/'] = 1, ['_'] = 1, [':'] = 1};

/* fang._plain_scheme: "//" at pos after "https:", "http:" or "ftp:" that no alphanumeric precedes,
 * and no '/', blank, tab or end after the two slashes. */
static int plain_scheme(const Text *t, Py_ssize_t pos) {
    if (pos < 4 || at(t, pos - 1) != ':' || at(t, pos) != '/' || at(t, pos + 1) != '/') return 0;
    Py_UCS4 c = at(t, pos + 2);
    if (c == NONE || c == '/' || c == ' ' || c == '\t') return 0;
    static const char *WORDS[] = {"https", "http", "ftp"};
    for (int w = 0; w < 3; w++) {
        Py_ssize_t len = (Py_ssize_t)strlen(WORDS[w]), start = pos - 1 - len, k = 0;
        if (start < 0) continue;
        while (k < len && at(t, start + k) == (Py_UCS4)WORDS[w][k]) k++;
        if (k == len && (start == 0 || !Py_UNICODE_ISALNUM(at(t, start - 1)))) return 1;
    }
    return 0;
}

static int add_pos(PyObject *out, Py_ssize_t pos) {
    PyObject *v = PyLong_FromSsize_t(pos);
    if (v == NULL) return -1;
    int rc = PyList_Append(out, v);
    Py_DECREF(v);
    return rc;
}

static PyObject *scheme_anchors(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "scheme_anchors() argument must be str, not %.100s", Py_TYPE(arg)->tp_name);
        return NULL;
    }
    if (PyUnicode_READY(arg) < 0) return NULL;
    Text t = {PyUnicode_KIND(arg), PyUnicode_DATA(arg), PyUnicode_GET_LENGTH(arg)};
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    /* Where the next "//" and "__" may start (finditer resumes after a match). The anchors come
     * in order: the one before a ':' is a bracket, which no earlier anchor can stand on. */
    Py_ssize_t slashes = 0, unders = 0;
    for (Py_ssize_t i = next_mark(&t, 0, ANCHOR_LEAD, 0); i < t.n; i = next_mark(&t, i + 1, ANCHOR_LEAD, 0)) {
        Py_UCS4 c = at(&t, i), next = at(&t, i + 1);
        Py_ssize_t pos = -1, pos2 = -1;
        if (c == '/' && next == '/' && i >= slashes) {
            slashes = i + 2;
            pos = i;
        } else if (c == '_' && next == '_' && i >= unders) {
            unders = i + 2;
            pos = i;
        } else if (c == ':') {
            Py_UCS4 before = at(&t, i - 1);
            if (before == '[' || before == '(' || before == '{' || before == ']') pos = i - 1;
            if (next == '\\' || next == ']') pos2 = i;
        }
        if (pos >= 0 && !plain_scheme(&t, pos) && add_pos(out, pos) < 0) goto fail;
        if (pos2 >= 0 && !plain_scheme(&t, pos2) && add_pos(out, pos2) < 0) goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* assemble(text, toks, loose_kinds) -> (text, new_starts, new_ends, old_starts, old_ends, loose):
 * the twin of fang._assemble_py. toks: (start, end, style, replacement) tuples in any order; they
 * are sorted by start, the longest first at one start (ties in the given order, as a stable
 * sort), and of overlapping ones the first kept; a replacement equal to what it replaces is no
 * change; loose: the style is in loose_kinds. */
typedef struct {
    Py_ssize_t s, e, i;
} Tok;

static int tok_order(const void *a, const void *b) {
    const Tok *x = a, *y = b;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    if (x->e != y->e) return x->e > y->e ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static PyObject *ints_tuple(const Py_ssize_t *v, Py_ssize_t n) {
    PyObject *t = PyTuple_New(n);
    for (Py_ssize_t i = 0; t != NULL && i < n; i++) {
        PyObject *o = PyLong_FromSsize_t(v[i]);
        if (o == NULL) Py_CLEAR(t);
        else PyTuple_SET_ITEM(t, i, o);
    }
    return t;
}

static PyObject *assemble(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *text, *toks, *loose_kinds, *parts = NULL, *result = NULL, *loose = NULL;
    if (!PyArg_ParseTuple(args, "UO!O:assemble", &text, &PyList_Type, &toks, &loose_kinds)) return NULL;
    if (!PyAnySet_Check(loose_kinds)) {
        PyErr_SetString(PyExc_TypeError, "assemble() loose_kinds must be a set");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), k = PyList_GET_SIZE(toks), kept = 0;
    Tok *order = PyMem_Malloc(sizeof(Tok) * (size_t)(k + 1));
    Py_ssize_t *map = PyMem_Malloc(sizeof(Py_ssize_t) * 4 * (size_t)(k + 1));
    if (order == NULL || map == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *tok = PyList_GET_ITEM(toks, i);
        if (!PyTuple_Check(tok) || PyTuple_GET_SIZE(tok) != 4 || !PyUnicode_Check(PyTuple_GET_ITEM(tok, 3))) {
            PyErr_SetString(PyExc_TypeError, "assemble() tokens must be (start, end, style, str) tuples");
            goto done;
        }
        Py_ssize_t s = PyLong_AsSsize_t(PyTuple_GET_ITEM(tok, 0)), e = PyLong_AsSsize_t(PyTuple_GET_ITEM(tok, 1));
        if ((s == -1 || e == -1) && PyErr_Occurred()) goto done;
        if (s < 0 || e < s || e > n) {
            PyErr_SetString(PyExc_ValueError, "assemble() token spans must lie in the text");
            goto done;
        }
        order[i] = (Tok){s, e, i};
    }
    qsort(order, (size_t)k, sizeof(Tok), tok_order);
    if ((parts = PyList_New(0)) == NULL || (loose = PyList_New(0)) == NULL) goto done;
    Py_ssize_t end = -1, pos = 0, out_len = 0;
    for (Py_ssize_t j = 0; j < k; j++) {
        Py_ssize_t s = order[j].s, e = order[j].e;
        if (s < end) continue; /* overlaps the one kept before it */
        end = e;
        PyObject *tok = PyList_GET_ITEM(toks, order[j].i), *rep = PyTuple_GET_ITEM(tok, 3);
        Py_ssize_t len = PyUnicode_GET_LENGTH(rep);
        if (len == e - s && PyUnicode_Tailmatch(text, rep, s, e, -1) == 1) continue; /* no change */
        if (s < pos) continue;
        PyObject *before = PyUnicode_Substring(text, pos, s);
        int bad = before == NULL || PyList_Append(parts, before) < 0 || PyList_Append(parts, rep) < 0;
        Py_XDECREF(before);
        if (bad) goto done;
        int is_loose = PySet_Contains(loose_kinds, PyTuple_GET_ITEM(tok, 2));
        if (is_loose < 0 || PyList_Append(loose, is_loose ? Py_True : Py_False) < 0) goto done;
        out_len += s - pos;
        map[4 * kept] = out_len;
        out_len += len;
        map[4 * kept + 1] = out_len;
        map[4 * kept + 2] = s;
        map[4 * kept + 3] = e;
        kept++;
        pos = e;
    }
    if (kept == 0) {
        result = Py_BuildValue("(O()()()()())", text);
        goto done;
    }
    PyObject *tail = PyUnicode_Substring(text, pos, n);
    if (tail == NULL || PyList_Append(parts, tail) < 0) {
        Py_XDECREF(tail);
        goto done;
    }
    Py_DECREF(tail);
    PyObject *empty = PyUnicode_New(0, 0), *joined = empty == NULL ? NULL : PyUnicode_Join(empty, parts);
    Py_XDECREF(empty);
    PyObject *cols[4] = {NULL, NULL, NULL, NULL}, *flags = PyList_AsTuple(loose);
    Py_ssize_t *col = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)kept);
    if (col == NULL) PyErr_NoMemory();
    int ok = joined != NULL && flags != NULL && col != NULL;
    for (int c = 0; ok && c < 4; c++) {
        for (Py_ssize_t i = 0; i < kept; i++) col[i] = map[4 * i + c];
        ok = (cols[c] = ints_tuple(col, kept)) != NULL;
    }
    if (ok) result = PyTuple_Pack(6, joined, cols[0], cols[1], cols[2], cols[3], flags);
    PyMem_Free(col);
    Py_XDECREF(joined);
    Py_XDECREF(flags);
    for (int c = 0; c < 4; c++) Py_XDECREF(cols[c]);
done:
    PyMem_Free(order);
    PyMem_Free(map);
    Py_XDECREF(parts);
    Py_XDECREF(loose);
    return result;
}

static PyMethodDef METHODS[] = {
    {"fast_tokens", fast_tokens, METH_O, "fast_tokens(text) -> [(start, end, style)] of the other defangs, style by style."},
    {"assemble", assemble, METH_VARARGS, "assemble(text, toks, loose_kinds) -> fang.Fanged's fields from the replacements."},
    {"scheme_anchors", scheme_anchors, METH_O, "scheme_anchors(text) -> [pos]: scheme-separator anchors _plain_scheme leaves open."},
    {"bracket_tokens", bracket_tokens, METH_O, "bracket_tokens(text) -> [(start, end, style)] of the bracket-led defangs."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "extract_fang",
                                    "C twin of huntfeed.extract.fang's bracket-style scan.", -1, METHODS,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_extract_fang(void) { return PyModule_Create(&MODULE); }
