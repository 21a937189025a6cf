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

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t lo, hi; /* the slice: nothing outside it exists for the patterns */
} Line;

#define NONE 0xFFFFFFFFu

static inline Py_UCS4 ch_at(const Line *l, Py_ssize_t i) {
    return (i >= l->lo && i < l->hi) ? PyUnicode_READ(l->kind, l->data, i) : NONE;
}

static inline int is_word(Py_UCS4 c) { return c != NONE && (c == '_' || Py_UNICODE_ISALNUM(c)); }
static inline int is_dec(Py_UCS4 c) { return c != NONE && Py_UNICODE_ISDECIMAL(c); }
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

static int evidence_in(const Line *l) {
    int gated = 0, at = 0;
    for (Py_ssize_t i = l->lo; i < l->hi; i++) {
        Py_UCS4 c = PyUnicode_READ(l->kind, l->data, i);
        if (c == '@') at = 1;
        if (c == '[' || c == '@' || ((c == '(' || c == '{') && ch_at(l, i + 1) == '.')) gated = 1;
    }
    if (!gated) /* the five spellings of "xxp" the twin's gate lists (not every case of it) */
        gated = contains(l, "xxp") || contains(l, "XXp") || contains(l, "xXp") || contains(l, "Xxp") || contains(l, "XXP");
    if (gated) {
        for (Py_ssize_t i = l->lo; i < l->hi; i++)
            if (defanged_at(l, i)) return 1;
        for (Py_ssize_t i = l->lo; i < l->hi; i++)
            if (ci_at(l, i, "hxxp")) return 1;
        if (at)
            for (Py_ssize_t i = l->lo; i < l->hi; i++)
                if (ch_at(l, i) == '@' && email_at(l, i)) return 1;
    }
    for (Py_ssize_t i = l->lo; i < l->hi; i++)
        if (is_dec(ch_at(l, i)) && ipv4_at(l, i)) return 1;
    Py_ssize_t run = 0; /* a maximal run of 32-128 ASCII hex characters */
    for (Py_ssize_t i = l->lo; i <= l->hi; i++) {
        if (i < l->hi && is_hex(ch_at(l, i))) {
            run++;
            continue;
        }
        if (run >= 32 && run <= 128) return 1;
        run = 0;
    }
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

static PyMethodDef METHODS[] = {
    {"evidence", evidence, METH_VARARGS, "evidence(text, a, b) -> text[a:b] holds indicator evidence."},
    {"listed", listed, METH_VARARGS, "listed(text, a, b) -> a quarter of text[a:b]'s items hold evidence."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "extract_sections",
                                    "C twins of huntfeed.extract.sections._evidence and _listed.", -1, METHODS,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_extract_sections(void) { return PyModule_Create(&MODULE); }
