/* The domain scanner's candidates (huntfeed.extract.scan._domain_tails) without a pattern pass.
 *
 * domain_tails(text) -> [(s, dot, end, tld_start, tld_end), ...]: one entry per match of
 * patterns.DOMAIN_TAIL_RE, as finditer finds them (each search starts where the last match
 * ended), with s the start of the label read leftwards from the dot (REV_LABEL_RE on the reversed
 * text: up to 63 characters of [\w-]), or -1 where none is. Why the pattern reduces to this loop:
 * a label or the TLD is followed by '.' or by something not [\w-], so each one is a whole run of
 * [\w-]; the greedy {0,11} then tries the most labels first and gives them back one by one until
 * a TLD and the look-ahead fit. Classes follow Python's `re` on str: \w is alnum or '_', \d
 * Py_UNICODE_ISDECIMAL.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
    PyObject *text; /* set where substrings are made */
} Text;

static inline Py_UCS4 at(const Text *t, Py_ssize_t i) { return PyUnicode_READ(t->kind, t->data, i); }
static inline Py_UCS4 at0(const Text *t, Py_ssize_t i) { return i < t->n ? at(t, i) : 0; } /* 0: past the end */
/* ASCII answers from a table (most text), the rest from the Unicode database. */
static inline int is_word(Py_UCS4 c) {
    if (c < 128) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    return Py_UNICODE_ISALNUM(c);
}
static inline int is_wd(Py_UCS4 c) { return c == '-' || is_word(c); } /* [\w-] */
static inline int is_alnum(Py_UCS4 c) { return c != '_' && is_word(c); } /* [^\W_] */
static inline int is_letter(Py_UCS4 c) { return is_alnum(c) && !Py_UNICODE_ISDECIMAL(c); } /* [^\W\d_] */
static int word_at(const Text *t, Py_ssize_t i) { return i < t->n && is_word(at(t, i)); }
static inline int is_dec(Py_UCS4 c) { /* \d */
    if (c < 128) return c >= '0' && c <= '9';
    return Py_UNICODE_ISDECIMAL(c);
}
static inline int is_space(Py_UCS4 c) { /* \s, str.isspace */
    return c < 128 ? (c == ' ' || (c >= 9 && c <= 13) || (c >= 28 && c <= 31)) : Py_UNICODE_ISSPACE(c);
}
static int ascii_quad(const Text *t, Py_ssize_t a, Py_ssize_t b);

/* The next ch (ASCII) at or after p, else n: memchr on one-byte text, a plain loop on the others. */
static Py_ssize_t next_ch(const Text *t, Py_ssize_t p, Py_UCS4 ch) {
    if (p >= t->n) return t->n;
    if (t->kind == PyUnicode_1BYTE_KIND) {
        const char *base = (const char *)t->data, *hit = memchr(base + p, (int)ch, (size_t)(t->n - p));
        return hit == NULL ? t->n : (Py_ssize_t)(hit - base);
    }
    if (t->kind == PyUnicode_2BYTE_KIND) {
        const Py_UCS2 *d = (const Py_UCS2 *)t->data;
        while (p < t->n && d[p] != ch) p++;
        return p;
    }
    const Py_UCS4 *d = (const Py_UCS4 *)t->data;
    while (p < t->n && d[p] != ch) p++;
    return p;
}
static Py_ssize_t next_dot(const Text *t, Py_ssize_t p) { return next_ch(t, p, '.'); }

/* The end of the run of [\w-] starting at q. */
static Py_ssize_t run_end(const Text *t, Py_ssize_t q) {
    while (q < t->n && is_wd(at(t, q))) q++;
    return q;
}

/* (TLD) over exactly text[q:r] (a whole run), then (?![\w-]|\.[\w-]) at r. */
static int tld_fits(const Text *t, Py_ssize_t q, Py_ssize_t r) {
    Py_ssize_t len = r - q;
    int shape = len >= 2 && len <= 25 && is_letter(at(t, q)) && is_alnum(at(t, r - 1));
    if (!shape && len >= 5 && len <= 63 && at(t, q) == 'x' && at(t, q + 1) == 'n' && at(t, q + 2) == '-' &&
        at(t, q + 3) == '-') {
        shape = 1;
        for (Py_ssize_t i = q + 4; i < r && shape; i++) {
            Py_UCS4 c = at(t, i);
            shape = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        }
    }
    if (!shape) return 0;
    return !(r + 1 < t->n && at(t, r) == '.' && is_wd(at(t, r + 1)));
}

/* The match of DOMAIN_TAIL_RE at the dot p: its end and TLD start, else 0. */
static int tail_at(const Text *t, Py_ssize_t p, Py_ssize_t *end, Py_ssize_t *tld) {
    Py_ssize_t starts[12];
    int k = 0;
    starts[0] = p + 1;
    /* (?:LABEL\.){0,11}: each label the whole run, 1-63 long, \w at both ends, a dot after. */
    while (k < 11) {
        Py_ssize_t q = starts[k], r = run_end(t, q), len = r - q;
        if (len < 1 || len > 63 || r >= t->n || at(t, r) != '.' || !is_word(at(t, q)) || !is_word(at(t, r - 1)))
            break;
        starts[++k] = r + 1;
    }
    for (; k >= 0; k--) {
        Py_ssize_t q = starts[k], r = run_end(t, q);
        if (tld_fits(t, q, r)) {
            *end = r;
            *tld = q;
            return 1;
        }
    }
    return 0;
}

static PyObject *domain_tails(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U:domain_tails", &text)) return NULL;
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), text};
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    Py_ssize_t p = 0;
    while ((p = next_dot(&t, p)) < t.n) {
        Py_ssize_t end, tld;
        if (!tail_at(&t, p, &end, &tld)) {
            p++;
            continue;
        }
        Py_ssize_t s = p;
        while (s > 0 && p - s < 63 && is_wd(at(&t, s - 1))) s--;
        Py_ssize_t vals[5] = {s < p ? s : -1, p, end, tld, end};
        PyObject *row = PyTuple_New(5);
        for (int i = 0; row != NULL && i < 5; i++) {
            PyObject *v = PyLong_FromSsize_t(vals[i]);
            if (v == NULL) Py_CLEAR(row);
            else PyTuple_SET_ITEM(row, i, v);
        }
        if (row == NULL || PyList_Append(out, row) < 0) {
            Py_XDECREF(row);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(row);
        p = end; /* > p: the match holds at least the dot and two TLD characters */
    }
    return out;
}

/* domains(text, ctx, consts): scan._domains_py in one loop over domain_tails' candidates, adding
 * the same occurrences through ctx's add in the same order. ctx = (URL starts, URL spans, URL
 * hosts, e-mail starts, e-mail spans, e-mail hosts, package spans, add), the scan context's own
 * (spans as (start, end) tuples); consts = (tlds, valid_tld, bare_url, DOMAIN, URL): an ASCII
 * TLD not spelled xn-- is valid when its lower case is in tlds (what tld.valid_tld answers), the
 * others are asked of valid_tld; bare_url(text, s, e) is scan._bare_url, called where the twin
 * calls it. */
typedef struct {
    Py_ssize_t *a, *b; /* starts (or spans' starts) and spans' ends */
    Py_ssize_t n;
} Spans;

static void spans_free(Spans *sp) {
    PyMem_Free(sp->a);
    PyMem_Free(sp->b);
    sp->a = sp->b = NULL;
}

/* A list of ints (pairs 0) or of (int, int) tuples (pairs 1) into C arrays. */
static int spans_read(PyObject *list, int pairs, Spans *sp) {
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "domains() context lists must be lists");
        return -1;
    }
    sp->n = PyList_GET_SIZE(list);
    sp->a = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(sp->n + 1));
    sp->b = PyMem_Malloc(sizeof(Py_ssize_t) * (size_t)(sp->n + 1));
    if (sp->a == NULL || sp->b == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < sp->n; i++) {
        PyObject *item = PyList_GET_ITEM(list, i);
        if (pairs) {
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
                PyErr_SetString(PyExc_TypeError, "domains() spans must be (start, end) tuples");
                return -1;
            }
            sp->a[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 0));
            sp->b[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 1));
        } else {
            sp->a[i] = PyLong_AsSsize_t(item);
            sp->b[i] = 0;
        }
        if ((sp->a[i] == -1 || sp->b[i] == -1) && PyErr_Occurred()) return -1;
    }
    return 0;
}

/* bisect_right(starts, x) - 1 */
static Py_ssize_t last_at_or_before(const Spans *sp, Py_ssize_t x) {
    Py_ssize_t lo = 0, hi = sp->n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (x < sp->a[mid]) hi = mid;
        else lo = mid + 1;
    }
    return lo - 1;
}

enum { R_NONE = -1, R_PLAIN, R_URL_HOST, R_IN_URL, R_EMAIL_DOMAIN, R_IN_PATH, R_BARE_HOST, R_CODE, R_BARE, ROLES };
static const char *ROLE_NAMES[ROLES] = {"", "url-host", "in-url", "email-domain", "in-path", "bare-host", "code", "bare"};
static PyObject *ROLE_STR[ROLES];

typedef struct {
    Spans ustarts, uspans, uhosts, estarts, espans, ehosts;
} Where;

/* scan._host_role */
static int host_role(const Text *t, const Where *w, Py_ssize_t s, Py_ssize_t e, Py_ssize_t bare_end) {
    if (w->ustarts.n) {
        Py_ssize_t i = last_at_or_before(&w->ustarts, s);
        if (i >= 0 && i < w->uspans.n && e <= w->uspans.b[i]) {
            if (i >= w->uhosts.n) return R_IN_URL;
            return w->uhosts.a[i] <= s && e <= w->uhosts.b[i] ? R_URL_HOST : R_IN_URL;
        }
    }
    if (s < bare_end) return R_IN_URL;
    if (w->estarts.n) {
        Py_ssize_t i = last_at_or_before(&w->estarts, s);
        if (i >= 0 && i < w->espans.n && e <= w->espans.b[i])
            return i < w->ehosts.n && s < w->ehosts.a[i] ? R_NONE : R_EMAIL_DOMAIN;
    }
    if (s > 1) {
        Py_UCS4 c = at(t, s - 1), b = at(t, s - 2);
        if ((c == '/' || c == '\\') && (is_alnum(b) || (b < 128 && b && strchr("._-~$%", (int)b) != NULL))) return R_IN_PATH;
    }
    return R_PLAIN;
}

/* tld.valid_tld(text[a:b]): 1, 0, or -1 on error. */
static int tld_valid(const Text *t, Py_ssize_t a, Py_ssize_t b, PyObject *tlds, PyObject *valid_tld) {
    char buf[64];
    Py_ssize_t len = b - a;
    int ascii = len > 0 && len < (Py_ssize_t)sizeof(buf);
    for (Py_ssize_t k = 0; ascii && k < len; k++) {
        Py_UCS4 c = at(t, a + k);
        ascii = c < 128;
        buf[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    PyObject *label;
    int rc;
    if (ascii && !(len >= 4 && memcmp(buf, "xn--", 4) == 0)) {
        if ((label = PyUnicode_FromStringAndSize(buf, len)) == NULL) return -1;
        rc = PySet_Contains(tlds, label);
    } else {
        if ((label = PyUnicode_Substring(t->text, a, b)) == NULL) return -1;
        PyObject *r = PyObject_CallOneArg(valid_tld, label);
        rc = r == NULL ? -1 : PyObject_IsTrue(r);
        Py_XDECREF(r);
    }
    Py_DECREF(label);
    return rc;
}

/* text[a:b].lower() */
static PyObject *lower_sub(const Text *t, Py_ssize_t a, Py_ssize_t b) {
    PyObject *sub = PyUnicode_Substring(t->text, a, b);
    if (sub == NULL) return NULL;
    int upper = 0;
    for (Py_ssize_t k = a; k < b; k++) {
        Py_UCS4 c = at(t, k);
        if (c >= 128) {
            PyObject *low = PyObject_CallMethod(sub, "lower", NULL);
            Py_DECREF(sub);
            return low;
        }
        upper |= c >= 'A' && c <= 'Z';
    }
    if (!upper) return sub;
    PyObject *out = PyUnicode_New(b - a, 127);
    if (out != NULL) {
        Py_UCS1 *d = PyUnicode_1BYTE_DATA(out);
        for (Py_ssize_t k = a; k < b; k++) {
            Py_UCS4 c = at(t, k);
            d[k - a] = (Py_UCS1)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
    }
    Py_DECREF(sub);
    return out;
}

/* add((s, e, kind, value, role)); steals value. */
static int add_occ(PyObject *add, Py_ssize_t s, Py_ssize_t e, PyObject *kind, PyObject *value, int role) {
    if (value == NULL) return -1;
    PyObject *so = PyLong_FromSsize_t(s), *eo = PyLong_FromSsize_t(e), *occ = NULL, *r = NULL;
    if (so != NULL && eo != NULL) occ = PyTuple_Pack(5, so, eo, kind, value, ROLE_STR[role]);
    if (occ != NULL) r = PyObject_CallOneArg(add, occ);
    Py_XDECREF(so);
    Py_XDECREF(eo);
    Py_DECREF(value);
    Py_XDECREF(occ);
    if (r == NULL) return -1;
    Py_DECREF(r);
    return 0;
}

static int in_set(Py_UCS4 c, const char *set) { return c < 128 && c && strchr(set, (int)c) != NULL; }

/* One candidate of domain_tails: the twin's checks and additions. 0 done, -1 error. */
static int domain_one(const Text *t, const Where *w, PyObject *packages, PyObject *add, PyObject *const *consts,
                      Py_ssize_t s, Py_ssize_t dot, Py_ssize_t e, Py_ssize_t ts, Py_ssize_t *bare_end) {
    if (s < 0) return 0;
    int ok = tld_valid(t, ts, e, consts[0], consts[1]);
    if (ok <= 0) return ok;
    while (s < dot && at(t, s) == '-') s++;
    if (s >= dot || at(t, dot - 1) == '-') return 0;
    if (s > 0) {
        Py_UCS4 before = at(t, s - 1);
        if (is_alnum(before) || before == '_' || before == '%' || before == '-') {
            /* not after "%2F" or "%3A" (in any case): an escaped '/' or ':' before the host */
            Py_UCS4 x = at(t, s - 2);
            int pct = s >= 3 && at(t, s - 3) == '%' &&
                      ((x == '2' && (before == 'f' || before == 'F')) || (x == '3' && (before == 'a' || before == 'A')));
            if (!pct) return 0;
        }
    }
    if (PySet_GET_SIZE(packages)) {
        PyObject *key = Py_BuildValue("(nn)", s, e);
        if (key == NULL) return -1;
        int hit = PySet_Contains(packages, key);
        Py_DECREF(key);
        if (hit) return hit < 0 ? -1 : 0;
    }
    int role = host_role(t, w, s, e, *bare_end);
    if (role == R_NONE) return 0;
    Py_UCS4 next = at0(t, e);
    if (role == R_PLAIN && e < t->n && (next == '/' || next == ':') && (s == 0 || !in_set(at(t, s - 1), ".@/:%-"))) {
        PyObject *bare = PyObject_CallFunction(consts[2], "Onn", t->text, s, e);
        if (bare == NULL) return -1;
        if (bare != Py_None) {
            Py_ssize_t bend;
            PyObject *bvalue;
            if (!PyTuple_Check(bare) || !PyArg_ParseTuple(bare, "Un", &bvalue, &bend)) {
                PyErr_Clear();
                PyErr_SetString(PyExc_TypeError, "domains(): bare_url must return (str, int) or None");
                Py_DECREF(bare);
                return -1;
            }
            Py_INCREF(bvalue);
            *bare_end = bend;
            role = R_BARE_HOST;
            if (add_occ(add, s, bend, consts[4], bvalue, R_BARE) < 0) {
                Py_DECREF(bare);
                return -1;
            }
        }
        Py_DECREF(bare);
    }
    if (role == R_PLAIN && e < t->n && next == '(') role = R_CODE;
    return add_occ(add, s, e, consts[3], lower_sub(t, s, e), role);
}

static PyObject *domains(PyObject *self, PyObject *args) {
    PyObject *text, *ctx, *cobj, *packages, *add;
    PyObject *consts[5];
    if (!PyArg_ParseTuple(args, "UO!O!:domains", &text, &PyTuple_Type, &ctx, &PyTuple_Type, &cobj)) return NULL;
    if (PyTuple_GET_SIZE(ctx) != 8 || PyTuple_GET_SIZE(cobj) != 5) {
        PyErr_SetString(PyExc_TypeError, "domains() takes ctx of 8 and consts of 5 items");
        return NULL;
    }
    for (int i = 0; i < 5; i++) consts[i] = PyTuple_GET_ITEM(cobj, i);
    packages = PyTuple_GET_ITEM(ctx, 6);
    add = PyTuple_GET_ITEM(ctx, 7);
    if (!PyAnySet_Check(consts[0]) || !PyAnySet_Check(packages) || !PyCallable_Check(consts[1]) ||
        !PyCallable_Check(consts[2]) || !PyCallable_Check(add)) {
        PyErr_SetString(PyExc_TypeError, "domains(): tlds and packages must be sets; valid_tld, bare_url, add callable");
        return NULL;
    }
    Where w;
    memset(&w, 0, sizeof(w));
    Spans *parts[6] = {&w.ustarts, &w.uspans, &w.uhosts, &w.estarts, &w.espans, &w.ehosts};
    PyObject *result = NULL;
    for (int i = 0; i < 6; i++)
        if (spans_read(PyTuple_GET_ITEM(ctx, i), i % 3 != 0, parts[i]) < 0) goto done;
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), text};
    Py_ssize_t p = 0, bare_end = -1;
    while ((p = next_dot(&t, p)) < t.n) {
        Py_ssize_t end, tld;
        if (!tail_at(&t, p, &end, &tld)) {
            p++;
            continue;
        }
        Py_ssize_t s = p;
        while (s > 0 && p - s < 63 && is_wd(at(&t, s - 1))) s--;
        if (domain_one(&t, &w, packages, add, consts, s < p ? s : -1, p, end, tld, &bare_end) < 0) goto done;
        p = end;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    for (int i = 0; i < 6; i++) spans_free(parts[i]);
    return result;
}

/* file_names(text, exts, url_spans, add, FILENAME): scan_host.file_names_py's occurrences, added
 * in order. FILE_EXT_RE's matches are the dots followed by a run of [\w-] that is one of exts
 * (every extension is made of [\w-] and the look-ahead refuses [\w-] after it, so the extension
 * is the whole run) with no '.' and \w after it; the name is read leftwards from the dot as
 * REV_FILE_RE does (up to 121 of [\w.-]). url_spans: the context's sorted (start, end) spans. */
static int spans_overlap(const Spans *sp, Py_ssize_t s, Py_ssize_t e) { /* scan._Spans.overlaps */
    Py_ssize_t i = last_at_or_before(sp, e - 1);
    return i >= 0 && sp->b[i] > s;
}

static PyObject *file_names(PyObject *self, PyObject *args) {
    PyObject *text, *exts, *spans, *add, *kind, *result = NULL;
    if (!PyArg_ParseTuple(args, "UO!O!OO:file_names", &text, &PyFrozenSet_Type, &exts, &PyList_Type, &spans, &add,
                          &kind))
        return NULL;
    if (!PyCallable_Check(add)) {
        PyErr_SetString(PyExc_TypeError, "file_names(): add must be callable");
        return NULL;
    }
    Spans urls = {NULL, NULL, 0};
    if (spans_read(spans, 1, &urls) < 0) goto done;
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), text};
    Py_ssize_t last = -1;
    for (Py_ssize_t dot = next_dot(&t, 0); dot < t.n; dot = next_dot(&t, dot + 1)) {
        Py_ssize_t e = run_end(&t, dot + 1);
        if (e == dot + 1 || e - dot - 1 > 16) continue; /* the longest extension is 10 characters */
        if (at0(&t, e) == '.' && word_at(&t, e + 1)) continue;
        if (urls.n && spans_overlap(&urls, dot, e)) continue; /* the path of a URL, reported with the URL */
        PyObject *ext = PyUnicode_Substring(text, dot + 1, e);
        if (ext == NULL) goto done;
        int known = PySet_Contains(exts, ext);
        Py_DECREF(ext);
        if (known < 0) goto done;
        if (!known) continue;
        Py_ssize_t s = dot;
        while (s > 0 && dot - s < 121) {
            Py_UCS4 c = at(&t, s - 1);
            if (!(c == '.' || is_wd(c))) break;
            s--;
        }
        if (s == dot) continue;
        while (s < dot && !is_word(at(&t, s))) s++;
        if (s >= dot || s < last) continue;
        if (s > 0) {
            Py_UCS4 b = at(&t, s - 1);
            if (is_word(b) || (b < 128 && b && strchr("\\/.%@-", (int)b) != NULL)) continue;
        }
        if (urls.n && spans_overlap(&urls, s, e)) continue;
        last = e;
        PyObject *value = PyUnicode_Substring(text, s, e);
        if (add_occ(add, s, e, kind, value, R_PLAIN) < 0) goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    spans_free(&urls);
    return result;
}

/* hex_runs(text) -> [(s, e), ...]: the maximal runs of 32 or more ASCII hex digits
 * ([0-9a-fA-F]; no other script's digits), in text order: the twin of scan.hex_runs_py (HEX_RUN_RE
 * over a Latin-1 copy). One pass over the characters, a table for one-byte text. */
static unsigned char HEXTAB[256];


static int add_span(PyObject *out, Py_ssize_t s, Py_ssize_t e) {
    PyObject *row = Py_BuildValue("(nn)", s, e);
    if (row == NULL) return -1;
    int rc = PyList_Append(out, row);
    Py_DECREF(row);
    return rc;
}

/* One loop per string kind (the kind is not switched on per character), skipping as a
 * Boyer-Moore search does: from a place i that opens a run (0, or just after a non-hex character)
 * a run of 32 needs text[i + 31] hex, so a non-hex character there moves i past it, and one found
 * reading back from it moves i past that one; prose is read about once per 32 characters. */
#define HEX(c) ((c) < 128 && HEXTAB[(c)])
#define HEX_SCAN(TYPE)                                                         \
    do {                                                                       \
        const TYPE *d = (const TYPE *)t.data;                                  \
        Py_ssize_t i = 0;                                                      \
        while (i + 31 < t.n) {                                                 \
            Py_ssize_t k = i + 31;                                             \
            while (k >= i && HEX(d[k])) k--;                                   \
            if (k >= i) {                                                      \
                i = k + 1;                                                     \
                continue;                                                      \
            }                                                                  \
            Py_ssize_t e = i + 32;                                             \
            while (e < t.n && HEX(d[e])) e++;                                  \
            if (add_span(out, i, e) < 0) {                                     \
                Py_DECREF(out);                                                \
                return NULL;                                                   \
            }                                                                  \
            i = e + 1;                                                         \
        }                                                                      \
    } while (0)

static PyObject *hex_runs(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U:hex_runs", &text)) return NULL;
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), text};
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    if (t.kind == PyUnicode_1BYTE_KIND) HEX_SCAN(Py_UCS1);
    else if (t.kind == PyUnicode_2BYTE_KIND) HEX_SCAN(Py_UCS2);
    else HEX_SCAN(Py_UCS4);
    return out;
}

/* hashes(text, kinds, url_spans, add): scan._hashes_py's occurrences, added in order. kinds =
 * (MD5, SHA1, SHA256, SHA512), by the run lengths 32, 40, 64 and 128; url_spans: the context's
 * sorted (start, end) spans. */
static PyObject *hashes(PyObject *self, PyObject *args) {
    PyObject *text, *kinds, *spans, *add, *runs = NULL, *result = NULL;
    if (!PyArg_ParseTuple(args, "UO!O!O:hashes", &text, &PyTuple_Type, &kinds, &PyList_Type, &spans, &add)) return NULL;
    if (PyTuple_GET_SIZE(kinds) != 4 || !PyCallable_Check(add)) {
        PyErr_SetString(PyExc_TypeError, "hashes(): kinds must be 4 types and add callable");
        return NULL;
    }
    Spans urls = {NULL, NULL, 0};
    if (spans_read(spans, 1, &urls) < 0) goto done;
    PyObject *one = PyTuple_Pack(1, text);
    if (one == NULL) goto done;
    runs = hex_runs(self, one);
    Py_DECREF(one);
    if (runs == NULL) goto done;
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), text};
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(runs); r++) {
        PyObject *row = PyList_GET_ITEM(runs, r);
        Py_ssize_t s = PyLong_AsSsize_t(PyTuple_GET_ITEM(row, 0)), e = PyLong_AsSsize_t(PyTuple_GET_ITEM(row, 1));
        Py_ssize_t len = e - s;
        int k = len == 32 ? 0 : len == 40 ? 1 : len == 64 ? 2 : len == 128 ? 3 : -1;
        if (k < 0) continue;
        if (s > 0 && is_alnum(at(&t, s - 1))) {
            /* 0x + digest: an address or a literal; 0x + 40 mixed-case hex (EIP-55) is a wallet */
            if (!(s >= 2 && at(&t, s - 2) == '0' && (at(&t, s - 1) == 'x' || at(&t, s - 1) == 'X'))) continue;
            if (k == 1) {
                int lower = 0, upper = 0;
                for (Py_ssize_t i = s; i < e; i++) {
                    Py_UCS4 c = at(&t, i);
                    lower |= c >= 'a' && c <= 'f';
                    upper |= c >= 'A' && c <= 'F';
                }
                if (lower == upper) continue; /* neither islower() nor isupper() */
            }
        }
        int in_url = urls.n && spans_overlap(&urls, s, e);
        if (add_occ(add, s, e, PyTuple_GET_ITEM(kinds, k), lower_sub(&t, s, e), in_url ? R_IN_URL : R_PLAIN) < 0)
            goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    Py_XDECREF(runs);
    spans_free(&urls);
    return result;
}

/* ipv4(text, url_spans, add, consts): scan._ipv4_py's occurrences, added in order. consts = (IPV4,
 * URL, bare_url, slow): bare_url is scan._bare_url, called where the twin calls it; slow(raw) is
 * asked for a candidate holding other scripts' digits (IPV4_FULL_RE then _ipv4_value, or None).
 * IPV4_TAIL_RE's matches are read as finditer finds them: from a dot after a decimal, 1-3
 * decimals and a dot twice, then up to three decimals; the search resumes after a match. */
static int decimal_run_dot(const Text *t, Py_ssize_t q, Py_ssize_t *next) { /* \d{1,3}\. from q */
    Py_ssize_t k = q;
    while (k < t->n && k - q < 4 && is_dec(at(t, k))) k++;
    if (k == q || k - q > 3 || at0(t, k) != '.') return 0;
    *next = k + 1;
    return 1;
}

/* marks.emphasis */
static int emphasis(const Text *t, Py_ssize_t s, Py_ssize_t e) {
    Py_ssize_t k = s;
    while (k > 0 && s - k < 2 && at(t, k - 1) == '_') k--;
    if (k == s) return 0;
    if (k > 0) {
        Py_UCS4 c = at(t, k - 1);
        if (!(is_space(c) || (c < 128 && c && strchr("*(['\"|", (int)c) != NULL))) return 0;
    }
    Py_ssize_t w = s - k;
    for (Py_ssize_t i = 0; i < w; i++)
        if (at0(t, e + i) != '_' || e + i >= t->n) return 0;
    return e + w >= t->n || !is_alnum(at(t, e + w));
}

/* The value of the ASCII dotted quad text[s:e] (scan._ipv4_value: leading zeros dropped), or NULL. */
static PyObject *quad_value(const Text *t, Py_ssize_t s, Py_ssize_t e) {
    int zero = 0;
    for (Py_ssize_t i = s; i + 1 < e && !zero; i++) {
        Py_UCS4 c = at(t, i), d = at(t, i + 1);
        zero = c == '0' && d >= '0' && d <= '9' && (i == s || at(t, i - 1) == '.');
    }
    if (!zero) return PyUnicode_Substring(t->text, s, e);
    char buf[32];
    int len = 0, v = -1;
    for (Py_ssize_t i = s; i <= e; i++) {
        Py_UCS4 c = i < e ? at(t, i) : '.';
        if (c == '.') {
            len += snprintf(buf + len, sizeof(buf) - (size_t)len, len ? ".%d" : "%d", v);
            v = -1;
        } else v = (v < 0 ? 0 : v * 10) + (int)(c - '0');
    }
    return PyUnicode_FromStringAndSize(buf, len);
}

static PyObject *ipv4(PyObject *self, PyObject *args) {
    PyObject *text, *spans, *add, *cobj, *result = NULL;
    if (!PyArg_ParseTuple(args, "UO!OO!:ipv4", &text, &PyList_Type, &spans, &add, &PyTuple_Type, &cobj)) return NULL;
    if (PyTuple_GET_SIZE(cobj) != 4 || !PyCallable_Check(add) || !PyCallable_Check(PyTuple_GET_ITEM(cobj, 2)) ||
        !PyCallable_Check(PyTuple_GET_ITEM(cobj, 3))) {
        PyErr_SetString(PyExc_TypeError, "ipv4(): add must be callable, consts (IPV4, URL, bare_url, slow)");
        return NULL;
    }
    PyObject *kind_ip = PyTuple_GET_ITEM(cobj, 0), *kind_url = PyTuple_GET_ITEM(cobj, 1);
    PyObject *bare_url = PyTuple_GET_ITEM(cobj, 2), *slow = PyTuple_GET_ITEM(cobj, 3);
    Spans urls = {NULL, NULL, 0};
    if (spans_read(spans, 1, &urls) < 0) goto done;
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), text};
    Py_ssize_t dot = next_dot(&t, 0);
    while (dot < t.n) {
        Py_ssize_t q, e;
        if (!(dot > 0 && is_dec(at(&t, dot - 1)) && decimal_run_dot(&t, dot + 1, &q) && decimal_run_dot(&t, q, &q) &&
              q < t.n && is_dec(at(&t, q)))) {
            dot = next_dot(&t, dot + 1);
            continue;
        }
        for (e = q; e < t.n && e - q < 3 && is_dec(at(&t, e)); e++) {}
        Py_ssize_t s = dot - 1;
        dot = next_dot(&t, e); /* finditer resumes after the match */
        if (s > 0 && is_dec(at(&t, s - 1))) {
            s--;
            if (s > 0 && is_dec(at(&t, s - 1))) s--;
        }
        int emph = emphasis(&t, s, e);
        if (s > 0 && !emph) {
            Py_UCS4 b = at(&t, s - 1);
            if (is_alnum(b) || b == '_' || b == '.') continue;
        }
        if (e < t.n) {
            Py_UCS4 c = at(&t, e);
            if (is_alnum(c) || (c == '_' && !emph) || (c == '.' && e + 1 < t.n && is_alnum(at(&t, e + 1)))) continue;
        }
        int ascii = 1;
        for (Py_ssize_t i = s; i < e && ascii; i++) ascii = at(&t, i) < 128;
        PyObject *value;
        if (ascii) {
            if (!ascii_quad(&t, s, e)) continue;
            if ((value = quad_value(&t, s, e)) == NULL) goto done;
        } else {
            PyObject *raw = PyUnicode_Substring(text, s, e);
            if (raw == NULL) goto done;
            value = PyObject_CallOneArg(slow, raw);
            Py_DECREF(raw);
            if (value == NULL) goto done;
            if (value == Py_None) {
                Py_DECREF(value);
                continue;
            }
        }
        Py_UCS4 next = at0(&t, e);
        if (e < t.n && (next == '/' || next == ':') && !(urls.n && spans_overlap(&urls, s, e)) &&
            (s == 0 || !in_set(at(&t, s - 1), ".@/:%-"))) {
            PyObject *bare = PyObject_CallFunction(bare_url, "Onn", text, s, e);
            Py_ssize_t bend;
            PyObject *bvalue;
            if (bare == NULL) {
                Py_DECREF(value);
                goto done;
            }
            if (bare != Py_None) {
                if (!PyTuple_Check(bare) || !PyArg_ParseTuple(bare, "Un", &bvalue, &bend)) {
                    PyErr_Clear();
                    PyErr_SetString(PyExc_TypeError, "ipv4(): bare_url must return (str, int) or None");
                    Py_DECREF(bare);
                    Py_DECREF(value);
                    goto done;
                }
                /* not when the path is a prefix length: 10.0.0.0/8 is a network (_CIDR_RE) */
                Py_ssize_t k = e + 1;
                while (k < bend && is_dec(at(&t, k))) k++;
                int cidr = next == '/' && k == bend && bend - e - 1 >= 1 && bend - e - 1 <= 2;
                Py_INCREF(bvalue);
                if (!cidr && add_occ(add, s, bend, kind_url, bvalue, R_BARE) < 0) {
                    Py_DECREF(bare);
                    Py_DECREF(value);
                    goto done;
                }
                if (cidr) Py_DECREF(bvalue);
            }
            Py_DECREF(bare);
        }
        if (add_occ(add, s, e, kind_ip, value, R_PLAIN) < 0) goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    spans_free(&urls);
    return result;
}

/* guids(text, url_spans, add, GUID): scan_host.guids_py's occurrences, added in order: GUID_TAIL_RE's
 * matches as finditer finds them (from a '-': 4, 4, 4 and 12 ASCII hex digits after dashes, no
 * [0-9A-Za-z-] after), each with 8 hex digits before it that no alphanumeric or '-' precedes. */
static inline int is_hex(Py_UCS4 c) { return c < 128 && HEXTAB[c]; }

static int hex_group(const Text *t, Py_ssize_t q, Py_ssize_t len) {
    for (Py_ssize_t i = q; i < q + len; i++)
        if (i >= t->n || !is_hex(at(t, i))) return 0;
    return 1;
}

static PyObject *guids(PyObject *self, PyObject *args) {
    PyObject *text, *spans, *add, *kind, *result = NULL;
    if (!PyArg_ParseTuple(args, "UO!OO:guids", &text, &PyList_Type, &spans, &add, &kind)) return NULL;
    if (!PyCallable_Check(add)) {
        PyErr_SetString(PyExc_TypeError, "guids(): add must be callable");
        return NULL;
    }
    Spans urls = {NULL, NULL, 0};
    if (spans_read(spans, 1, &urls) < 0) goto done;
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), text};
    Py_ssize_t d = next_ch(&t, 0, '-');
    while (d < t.n) {
        Py_ssize_t e = d + 28;
        int tail = hex_group(&t, d + 1, 4) && at0(&t, d + 5) == '-' && hex_group(&t, d + 6, 4) &&
                   at0(&t, d + 10) == '-' && hex_group(&t, d + 11, 4) && at0(&t, d + 15) == '-' &&
                   hex_group(&t, d + 16, 12);
        if (tail && e < t.n) {
            Py_UCS4 c = at(&t, e);
            tail = !(c < 128 && (c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')));
        }
        if (!tail) {
            d = next_ch(&t, d + 1, '-');
            continue;
        }
        Py_ssize_t s = d - 8;
        d = next_ch(&t, e, '-'); /* finditer resumes after the match */
        if (s < 0 || !hex_group(&t, s, 8)) continue;
        if (s > 0) {
            Py_UCS4 b = at(&t, s - 1);
            if (is_alnum(b) || b == '-') continue;
        }
        int in_url = urls.n && spans_overlap(&urls, s, e);
        if (add_occ(add, s, e, kind, lower_sub(&t, s, e), in_url ? R_IN_URL : R_PLAIN) < 0) goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    spans_free(&urls);
    return result;
}

/* present(text, words) -> (bool, ...): `word in text` for each of up to 64 non-empty ASCII words,
 * in one pass (a substring test of a text that lacks the word reads it all: ~1.4 ms per test over
 * the 63 real reports). Twin: scan.present_py. */
#define PRESENT_MAX 64

typedef struct {
    const char *w[PRESENT_MAX];
    Py_ssize_t len[PRESENT_MAX];
    int count;
    uint64_t by_first[128]; /* bit j: word j starts with this character */
} Words;

/* A tuple of at most max_n non-empty ASCII str of at most max_len characters, read into w / len
 * (borrowed pointers into the strs): its size, or -1 with TypeError (not a tuple of str) or
 * ValueError (too many, empty, non-ASCII, too long). present() and urls() both take one. */
static int ascii_words(PyObject *seq, int max_n, Py_ssize_t max_len, const char **w, Py_ssize_t *len,
                       const char *fn) {
    if (!PyTuple_Check(seq)) {
        PyErr_Format(PyExc_TypeError, "%s() words must be a tuple of str", fn);
        return -1;
    }
    Py_ssize_t k = PyTuple_GET_SIZE(seq);
    if (k > max_n) {
        PyErr_Format(PyExc_ValueError, "%s() takes at most %d words", fn, max_n);
        return -1;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *item = PyTuple_GET_ITEM(seq, j);
        if (!PyUnicode_Check(item)) {
            PyErr_Format(PyExc_TypeError, "%s() words must be a tuple of str", fn);
            return -1;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(item);
        if (!PyUnicode_IS_ASCII(item) || n == 0 || n > max_len) {
            PyErr_Format(PyExc_ValueError, "%s() words must be ASCII, 1-%zd characters", fn, max_len);
            return -1;
        }
        w[j] = (const char *)PyUnicode_1BYTE_DATA(item);
        len[j] = n;
    }
    return (int)k;
}

static int words_from(PyObject *seq, Words *ws) {
    memset(ws, 0, sizeof(*ws));
    ws->count = ascii_words(seq, PRESENT_MAX, PY_SSIZE_T_MAX, ws->w, ws->len, "present");
    if (ws->count < 0) return -1;
    for (int j = 0; j < ws->count; j++) ws->by_first[(unsigned char)ws->w[j][0]] |= (uint64_t)1 << j;
    return 0;
}

/* The words still missing that occur at i, cleared from *missing. */
#define PRESENT_SCAN(TYPE)                                                                   \
    do {                                                                                     \
        const TYPE *d = (const TYPE *)t.data;                                                \
        for (Py_ssize_t i = 0; i < t.n && missing; i++) {                                    \
            Py_UCS4 c = d[i];                                                                \
            uint64_t cand = c < 128 ? ws.by_first[c] & missing : 0;                          \
            while (cand) {                                                                   \
                int j = __builtin_ctzll(cand);                                               \
                cand &= cand - 1;                                                            \
                Py_ssize_t len = ws.len[j], q = 1;                                           \
                if (len > t.n - i) continue;                                                 \
                while (q < len && d[i + q] == (Py_UCS4)(unsigned char)ws.w[j][q]) q++;       \
                if (q == len) missing &= ~((uint64_t)1 << j);                                \
            }                                                                                \
        }                                                                                    \
    } while (0)

static PyObject *present(PyObject *self, PyObject *args) {
    PyObject *text, *seq;
    if (!PyArg_ParseTuple(args, "UO:present", &text, &seq)) return NULL;
    Words ws;
    if (words_from(seq, &ws) < 0) return NULL;
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), text};
    uint64_t all = ws.count == 64 ? ~(uint64_t)0 : (((uint64_t)1 << ws.count) - 1), missing = all;
    if (t.kind == PyUnicode_1BYTE_KIND) PRESENT_SCAN(Py_UCS1);
    else if (t.kind == PyUnicode_2BYTE_KIND) PRESENT_SCAN(Py_UCS2);
    else PRESENT_SCAN(Py_UCS4);
    PyObject *out = PyTuple_New(ws.count);
    if (out == NULL) return NULL;
    for (int j = 0; j < ws.count; j++) {
        PyObject *b = (missing >> j) & 1 ? Py_False : Py_True;
        Py_INCREF(b);
        PyTuple_SET_ITEM(out, j, b);
    }
    return out;
}

/* ids(text) -> (cves, attack, asns, packages, bitcoin, monero): the matches of the literal-led
 * families' patterns (patterns.CVE_RES, ATTACK_RES, ASN_RES, PACKAGE_RES, BITCOIN_RES, MONERO_RE)
 * in one pass instead of seventeen: twin scan.literal_ids_py. Each list holds its patterns' matches
 * pattern by pattern in the patterns' order, each pattern's in text order (finditer's order); the
 * bitcoin list is in text order across its three patterns (the scanner sorts them by start).
 * Rows: cves (s, e, year_start, number_start), asns (s, e, digits_start), the others (s, e).
 *
 * Why plain reads give the patterns' matches: every pattern opens with a literal whose look-behind
 * wants no \w before it, and none of their matches holds another start (inside a match the
 * character before is \w, or '.' / '-' where the look-behind also refuses it), so finditer's
 * resumption after a match never skips one. No pattern can backtrack into another match: each
 * repeated class is followed by a look-ahead that refuses the class's own characters (or by a
 * literal it cannot hold), so a match exists only with maximal runs, which are read here. */
static inline int is_b58(Py_UCS4 c) { /* [a-km-zA-HJ-NP-Z1-9] */
    return (c >= '1' && c <= '9') || (c >= 'a' && c <= 'z' && c != 'l') ||
           (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O');
}
static inline int is_pkg(Py_UCS4 c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }
static inline int is_lower_digit(Py_UCS4 c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* How many characters from q pass ok(), counting no further than cap. */
#define RUN(t, q, cap, ok, out)                                                      \
    do {                                                                             \
        Py_ssize_t r_ = (q);                                                         \
        while (r_ < (t)->n && r_ - (q) < (cap) && ok(at((t), r_))) r_++;            \
        (out) = r_ - (q);                                                            \
    } while (0)


/* (?!\w|\.\d) at e. */
static int attack_end_ok(const Text *t, Py_ssize_t e) {
    Py_UCS4 c = at0(t, e);
    return !(is_word(c) || (c == '.' && is_dec(at0(t, e + 1))));
}

/* T(?<![\w.]T)A?\d{4}(?:\.\d{3})?(?!\w|\.\d) with T, A the given letters; the look-behind checked by the caller. */
static Py_ssize_t attack_at(const Text *t, Py_ssize_t i, Py_UCS4 a) {
    Py_ssize_t q = i + 1, k;
    if (at0(t, q) == a) q++;
    RUN(t, q, 4, is_dec, k);
    if (k < 4) return -1;
    q += 4;
    if (at0(t, q) == '.') {
        RUN(t, q + 1, 3, is_dec, k);
        if (k == 3) q += 4;
    }
    return attack_end_ok(t, q) ? q : -1;
}

/* M(?<![\w.]M)1\d{3}(?!\w|\.\d) */
static Py_ssize_t mitigation_at(const Text *t, Py_ssize_t i) {
    Py_ssize_t k;
    if (at0(t, i + 1) != '1') return -1;
    RUN(t, i + 2, 3, is_dec, k);
    return k == 3 && attack_end_ok(t, i + 5) ? i + 5 : -1;
}

/* From q: \d{1,10}(?!\w) as a maximal run of decimals; its end, else -1. */
static Py_ssize_t asn_digits(const Text *t, Py_ssize_t q) {
    Py_ssize_t k;
    RUN(t, q, 11, is_dec, k);
    return k >= 1 && k <= 10 && !word_at(t, q + k) ? q + k : -1;
}

/* [-_ ]?(\d{4})[-_ ](\d{4,7})(?!\d) from q (after the CVE word): the end, *year and *num set. */
static Py_ssize_t cve_rest(const Text *t, Py_ssize_t q, Py_ssize_t *year, Py_ssize_t *num) {
    Py_ssize_t k;
    Py_UCS4 c = at0(t, q);
    if (c == '-' || c == '_' || c == ' ') q++;
    RUN(t, q, 4, is_dec, k);
    c = at0(t, q + 4);
    if (k < 4 || !(c == '-' || c == '_' || c == ' ')) return -1;
    *year = q;
    q += 5;
    RUN(t, q, 8, is_dec, k);
    if (k < 4 || k > 7) return -1;
    *num = q;
    return q + k;
}

static int word_is(const Text *t, Py_ssize_t i, const char *w) {
    for (; *w; w++, i++)
        if (at0(t, i) != (Py_UCS4)(unsigned char)*w) return 0;
    return 1;
}

/* {head}\.[a-z][a-z0-9_]{0,62}(?:\.[a-z][a-z0-9_]{0,62}){1,8}(?![\w-]|\.\w), head at i (its look-behind checked by the caller). */
static Py_ssize_t package_at(const Text *t, Py_ssize_t i, const char *head) {
    Py_ssize_t p = i + (Py_ssize_t)strlen(head), k;
    int labels = 0;
    if (!word_is(t, i, head)) return -1;
    while (labels < 9 && at0(t, p) == '.') {
        Py_UCS4 c = at0(t, p + 1);
        if (!(c >= 'a' && c <= 'z')) break;
        RUN(t, p + 1, 64, is_pkg, k);
        if (k > 63) break;
        p += 1 + k;
        labels++;
    }
    if (labels < 2) return -1;
    Py_UCS4 c = at0(t, p);
    if (is_word(c) || c == '-' || (c == '.' && word_at(t, p + 1))) return -1;
    return p;
}

/* A run of cls from q: exactly from lo to hi long and no \w after it; the end, else -1. */
static Py_ssize_t class_run(const Text *t, Py_ssize_t q, Py_ssize_t lo, Py_ssize_t hi, int (*cls)(Py_UCS4)) {
    Py_ssize_t k;
    RUN(t, q, hi + 1, cls, k);
    return k >= lo && k <= hi && !word_at(t, q + k) ? q + k : -1;
}

enum { CVE_U, CVE_L, CVE_T, ATT_T, ATT_t, ATT_M, ASN_U, ASN_asn, ASN_as, PKG_com, PKG_org, PKG_net, PKG_io, BTC,
       XMR, ID_LISTS };

static int add_row(PyObject *list, Py_ssize_t a, Py_ssize_t b, Py_ssize_t c, Py_ssize_t d, int size) {
    PyObject *row = size == 4 ? Py_BuildValue("(nnnn)", a, b, c, d)
                    : size == 3 ? Py_BuildValue("(nnn)", a, b, c)
                                : Py_BuildValue("(nn)", a, b);
    if (row == NULL) return -1;
    int rc = PyList_Append(list, row);
    Py_DECREF(row);
    return rc;
}

/* The matches that start at i (no \w before it; c the character there, prev the one before). */
static int ids_at(const Text *t, Py_ssize_t i, Py_UCS4 c, Py_UCS4 prev, PyObject **lists) {
    Py_ssize_t e, y = 0, num = 0;
    int dotless = prev != '.';
    switch (c) {
    case 'T':
        if (dotless && (e = attack_at(t, i, 'A')) >= 0) return add_row(lists[ATT_T], i, e, 0, 0, 2);
        return 0;
    case 't':
        if (dotless && (e = attack_at(t, i, 'a')) >= 0) return add_row(lists[ATT_t], i, e, 0, 0, 2);
        return 0;
    case 'M':
        if (dotless && (e = mitigation_at(t, i)) >= 0) return add_row(lists[ATT_M], i, e, 0, 0, 2);
        return 0;
    case 'A':
        if (at0(t, i + 1) == 'S') {
            Py_ssize_t q = i + 2;
            if (at0(t, q) == 'N') q++;
            if (at0(t, q) == ' ') q++;
            if ((e = asn_digits(t, q)) >= 0) return add_row(lists[ASN_U], i, e, q, 0, 3);
        }
        return 0;
    case 'a':
        if (at0(t, i + 1) != 's') return 0;
        if (at0(t, i + 2) == 'n') {
            Py_ssize_t q = i + 3;
            if (at0(t, q) == ' ') q++;
            if ((e = asn_digits(t, q)) >= 0) return add_row(lists[ASN_asn], i, e, q, 0, 3);
            return 0;
        }
        if ((e = asn_digits(t, i + 2)) >= 0) return add_row(lists[ASN_as], i, e, i + 2, 0, 3);
        return 0;
    case 'C':
        if (prev == '-') return 0;
        if (word_is(t, i, "CVE") && (e = cve_rest(t, i + 3, &y, &num)) >= 0) return add_row(lists[CVE_U], i, e, y, num, 4);
        if (word_is(t, i, "Cve") && (e = cve_rest(t, i + 3, &y, &num)) >= 0) return add_row(lists[CVE_T], i, e, y, num, 4);
        return 0;
    case 'c':
        if (prev != '-' && word_is(t, i, "cve") && (e = cve_rest(t, i + 3, &y, &num)) >= 0)
            return add_row(lists[CVE_L], i, e, y, num, 4);
        if (prev != '.' && prev != '@' && prev != '/' && prev != '\\' && prev != '-' && (e = package_at(t, i, "com")) >= 0)
            return add_row(lists[PKG_com], i, e, 0, 0, 2);
        return 0;
    case 'o':
    case 'n':
    case 'i':
        if (prev == '.' || prev == '@' || prev == '/' || prev == '\\' || prev == '-') return 0;
        e = package_at(t, i, c == 'o' ? "org" : c == 'n' ? "net" : "io");
        return e >= 0 ? add_row(lists[c == 'o' ? PKG_org : c == 'n' ? PKG_net : PKG_io], i, e, 0, 0, 2) : 0;
    case '1':
    case '3':
        if ((e = class_run(t, i + 1, 25, 34, is_b58)) >= 0) return add_row(lists[BTC], i, e, 0, 0, 2);
        return 0;
    case 'b':
        if (at0(t, i + 1) == 'c' && at0(t, i + 2) == '1' && (e = class_run(t, i + 3, 25, 87, is_lower_digit)) >= 0)
            return add_row(lists[BTC], i, e, 0, 0, 2);
        return 0;
    case '4': {
        Py_UCS4 d = at0(t, i + 1);
        if (((d >= '0' && d <= '9') || d == 'A' || d == 'B') && (e = class_run(t, i + 2, 93, 93, is_b58)) >= 0)
            return add_row(lists[XMR], i, e, 0, 0, 2);
        return 0;
    }
    }
    return 0;
}

/* Per ASCII character: bit 1 \w, bit 2 a pattern's first character. */
static unsigned char IDTAB[128];

/* Word starts only: whether the character before is \w is carried along (no branch on it), and
 * the leads are looked at only where it is not. */
#define IDS_SCAN(TYPE)                                                                   \
    do {                                                                                 \
        const TYPE *d = (const TYPE *)t.data;                                            \
        int prev_word = 0;                                                               \
        for (Py_ssize_t i = 0; i < t.n; i++) {                                           \
            Py_UCS4 c = d[i];                                                            \
            if (c >= 128) {                                                              \
                prev_word = Py_UNICODE_ISALNUM(c) ? 1 : 0;                                       \
                continue;                                                                \
            }                                                                            \
            unsigned f = IDTAB[c];                                                       \
            /* One branch, taken at lead word starts only (5 % of characters): two would        \
             * mispredict on every other letter and cost three times the pass. */               \
            if ((f >> 1) & ~prev_word & 1 && ids_at(&t, i, c, i ? d[i - 1] : 0, lists) < 0) goto fail; \
            prev_word = (int)(f & 1);                                                    \
        }                                                                                \
    } while (0)

/* The families' lists, each the concatenation of its patterns' lists. */
static const int FAMILY_END[] = {ATT_T, ASN_U, PKG_com, BTC, XMR, ID_LISTS};

static PyObject *ids(PyObject *self, PyObject *args) {
    PyObject *text, *lists[ID_LISTS] = {NULL}, *out = NULL;
    if (!PyArg_ParseTuple(args, "U:ids", &text)) return NULL;
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), text};
    for (int j = 0; j < ID_LISTS; j++)
        if ((lists[j] = PyList_New(0)) == NULL) goto fail;
    if (t.kind == PyUnicode_1BYTE_KIND) IDS_SCAN(Py_UCS1);
    else if (t.kind == PyUnicode_2BYTE_KIND) IDS_SCAN(Py_UCS2);
    else IDS_SCAN(Py_UCS4);
    if ((out = PyTuple_New(6)) == NULL) goto fail;
    for (int f = 0, j = 0; f < 6; f++) {
        PyObject *fam = lists[j];
        Py_INCREF(fam);
        for (j++; j < FAMILY_END[f]; j++) {
            if (PyList_SetSlice(fam, PyList_GET_SIZE(fam), PyList_GET_SIZE(fam), lists[j]) < 0) {
                Py_DECREF(fam);
                goto fail;
            }
        }
        PyTuple_SET_ITEM(out, f, fam);
    }
    for (int j = 0; j < ID_LISTS; j++) Py_DECREF(lists[j]);
    return out;
fail:
    Py_XDECREF(out);
    for (int j = 0; j < ID_LISTS; j++) Py_XDECREF(lists[j]);
    return NULL;
}

/* urls(text, schemes) -> [(sep, s, e, scheme_end, host_start, host_end, kind, tld_start, tld_end)]: the
 * twin of scan.url_candidates_py. One row per "://" that the URL scanner's reads accept up to the
 * host test, in text order: the scheme read leftwards (REV_SCHEME_RE: up to 10 of [A-Za-z0-9+.-],
 * leading '+' dropped, one of ``schemes`` in lower case, no word character or "_.+-" before it
 * unless "++" opens an AsciiDoc passthrough), the tail (URL_REST_RE: 1-2048 characters of the
 * class), scan._trim_url's cuts, the passthrough's closing "++", and the parts of _URL_HOST_RE's
 * match (user@ when the host after it fits, else none; a bracketed host, else a run of
 * [^:/?#\s]; then ":port" of 1-5 decimals and the end or one of "/?#"). kind says what the
 * host test still needs: 1 an ASCII dotted quad IPV4_FULL_RE takes (nothing), 2 an ASCII name
 * of well-shaped labels (_LABELS_RE) whose last label text[tld_start:tld_end] must be a TLD,
 * 3 anything else (a bracketed or non-ASCII host: the scanner runs _norm_url); ASCII hosts that
 * can be neither are left out. */
#define MAX_SCHEMES 32

typedef struct {
    const char *w[MAX_SCHEMES];
    Py_ssize_t len[MAX_SCHEMES];
    int count;
} Schemes;

static int schemes_from(PyObject *seq, Schemes *sc) {
    sc->count = ascii_words(seq, MAX_SCHEMES, 10, sc->w, sc->len, "urls"); /* REV_SCHEME_RE reads 10 */
    return sc->count < 0 ? -1 : 0;
}

static inline int is_scheme_char(Py_UCS4 c) { /* [A-Za-z0-9+.-] */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '.' ||
           c == '-';
}
/* URL_REST_RE's tail class [^\s"'<>`\]\[{}|\\^] on ASCII (the rest: not \s). */
static unsigned char URLTAB[128];

/* text[s:p] in lower case is one of the schemes (all ASCII: the scheme class is). */
static int known_scheme(const Text *t, Py_ssize_t s, Py_ssize_t p, const Schemes *sc) {
    for (int j = 0; j < sc->count; j++) {
        if (sc->len[j] != p - s) continue;
        Py_ssize_t k = 0;
        for (; k < p - s; k++) {
            Py_UCS4 c = at(t, s + k);
            if (c >= 'A' && c <= 'Z') c += 32;
            if (c != (Py_UCS4)(unsigned char)sc->w[j][k]) break;
        }
        if (k == p - s) return 1;
    }
    return 0;
}

/* After the host ending at k (the raw URL ends at end): (?P<port>:\d{1,5})?(?P<rest>[/?#].*)?$.
 * The port's end, else -1. */
static Py_ssize_t host_tail(const Text *t, Py_ssize_t k, Py_ssize_t end) {
    if (k == end) return k;
    Py_UCS4 c = at(t, k);
    if (c == '/' || c == '?' || c == '#') return k;
    if (c != ':') return -1;
    Py_ssize_t d = k + 1;
    while (d < end && d - k <= 6 && is_dec(at(t, d))) d++;
    if (d == k + 1 || d - k - 1 > 5) return -1;
    if (d == end) return d;
    c = at(t, d);
    return c == '/' || c == '?' || c == '#' ? d : -1;
}

/* (?P<host>\[[0-9a-f:.]+\]|[^:/?#\s]+) at h (IGNORECASE: A-F too), with host_tail after it:
 * *he and *pe set, else 0. */
static int host_at(const Text *t, Py_ssize_t h, Py_ssize_t end, Py_ssize_t *he, Py_ssize_t *pe) {
    if (h < end && at(t, h) == '[') {
        Py_ssize_t k = h + 1;
        for (; k < end; k++) {
            Py_UCS4 c = at(t, k);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
                break;
        }
        if (k > h + 1 && k < end && at(t, k) == ']' && (*pe = host_tail(t, k + 1, end)) >= 0) {
            *he = k + 1;
            return 1;
        }
    }
    Py_ssize_t k = h;
    for (; k < end; k++) {
        Py_UCS4 c = at(t, k);
        if (c == ':' || c == '/' || c == '?' || c == '#' || is_space(c)) break;
    }
    if (k == h || (*pe = host_tail(t, k, end)) < 0) return 0;
    *he = k;
    return 1;
}

/* IPV4_FULL_RE.fullmatch on ASCII text[a:b]: four dot-separated runs of 1-3 digits, each <= 255. */
static int ascii_quad(const Text *t, Py_ssize_t a, Py_ssize_t b) {
    int parts = 0;
    Py_ssize_t k = a;
    while (1) {
        int v = 0, len = 0;
        while (k < b && len < 4) {
            Py_UCS4 c = at(t, k);
            if (c < '0' || c > '9') break;
            v = v * 10 + (int)(c - '0');
            len++;
            k++;
        }
        if (len == 0 || len > 3 || v > 255) return 0;
        if (++parts == 4) return k == b;
        if (k >= b || at(t, k) != '.') return 0;
        k++;
    }
}

/* _LABELS_RE.fullmatch on ASCII text[a:b]: labels of 1-63 characters, none starting or ending with '-'. */
static int good_labels(const Text *t, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t start = a;
    for (Py_ssize_t k = a; k <= b; k++) {
        if (k < b && at(t, k) != '.') continue;
        if (k == start || k - start > 63 || at(t, start) == '-' || at(t, k - 1) == '-') return 0;
        start = k + 1;
    }
    return 1;
}

/* text[s:e] with text[s:body] (the scheme, ASCII) and the ASCII host text[hs:he] in lower case. */
static PyObject *lowered(const Text *t, Py_ssize_t s, Py_ssize_t e, Py_ssize_t body, Py_ssize_t hs, Py_ssize_t he) {
    int upper = 0;
    for (Py_ssize_t k = s; k < he && !upper; k = k + 1 == body ? hs : k + 1) {
        Py_UCS4 c = at(t, k);
        upper = c >= 'A' && c <= 'Z';
    }
    PyObject *sub = PyUnicode_Substring(t->text, s, e);
    if (sub == NULL || !upper) return sub;
    PyObject *out = PyUnicode_New(e - s, PyUnicode_MAX_CHAR_VALUE(sub));
    if (out == NULL) {
        Py_DECREF(sub);
        return NULL;
    }
    int kind = PyUnicode_KIND(out);
    void *data = PyUnicode_DATA(out);
    for (Py_ssize_t k = s; k < e; k++) {
        Py_UCS4 c = at(t, k);
        if (c >= 'A' && c <= 'Z' && (k < body || (k >= hs && k < he))) c += 32;
        PyUnicode_WRITE(kind, data, k - s, c);
    }
    Py_DECREF(sub);
    return out;
}

static int url_row(const Text *t, Py_ssize_t p, const Schemes *sc, PyObject *out) {
    Py_ssize_t s = p;
    while (s > 0 && p - s < 10 && is_scheme_char(at(t, s - 1))) s--;
    if (s == p) return 0;
    while (s < p && at(t, s) == '+') s++;
    int passthrough = s >= 2 && at(t, s - 2) == '+' && at(t, s - 1) == '+';
    if (!known_scheme(t, s, p, sc)) return 0;
    if (s > 0 && !passthrough) {
        Py_UCS4 c = at(t, s - 1);
        if (is_alnum(c) || c == '_' || c == '.' || c == '+' || c == '-') return 0;
    }
    /* URL_REST_RE's tail and _trim_url's comma (the first one before a '?') in one read, with the
     * brackets counted up to where the URL may end. */
    Py_ssize_t body = p + 3, end, comma = -1, opens = 0, closes = 0, c_opens = 0, c_closes = 0;
#define TAIL_READ(TYPE)                                                                  \
    do {                                                                                 \
        const TYPE *d = (const TYPE *)t->data;                                           \
        Py_ssize_t lim = t->n - body > 2048 ? body + 2048 : t->n;                        \
        int query = 0;                                                                   \
        for (end = body; end < lim; end++) {                                             \
            Py_UCS4 c = d[end];                                                          \
            if (c < 128 ? !URLTAB[c] : Py_UNICODE_ISSPACE(c)) break;                     \
            if (c == '?') query = 1;                                                     \
            else if (c == ',' && !query && comma < 0) {                                  \
                comma = end;                                                             \
                c_opens = opens;                                                         \
                c_closes = closes;                                                       \
            }                                                                            \
            opens += c == '(';                                                           \
            closes += c == ')';                                                          \
        }                                                                                \
    } while (0)
    if (t->kind == PyUnicode_1BYTE_KIND) TAIL_READ(Py_UCS1);
    else if (t->kind == PyUnicode_2BYTE_KIND) TAIL_READ(Py_UCS2);
    else TAIL_READ(Py_UCS4);
#undef TAIL_READ
    if (end == body) return 0;
    if (comma >= 0) { /* the scheme part holds no brackets: the counts are the raw URL's */
        end = comma;
        opens = c_opens;
        closes = c_closes;
    }
    while (end > s) {
        Py_UCS4 c = at(t, end - 1);
        if (c < 128 && c && strchr(".,;:!?'\"*", (int)c) != NULL) end--;
        else if (c == ')' && closes > opens) {
            closes--;
            end--;
        } else break;
    }
    if (passthrough && end - s >= 2 && at(t, end - 1) == '+' && at(t, end - 2) == '+') end -= 2;
    /* _URL_HOST_RE: the scheme group is text[s:p + 3] (the first "://"); user@ only where a host fits after it. */
    Py_ssize_t hs = body, he, pe, u = body;
    if (end < body) return 0;
    for (; u < end; u++) {
        Py_UCS4 c = at(t, u);
        if (c == '@' || c == '/' || c == '?' || c == '#' || is_space(c)) break;
    }
    if (u < end && at(t, u) == '@' && host_at(t, u + 1, end, &he, &pe)) hs = u + 1;
    else if (!host_at(t, body, end, &he, &pe)) return 0;
    (void)pe;
    int kind = 1, ascii = at(t, hs) != '[';
    for (Py_ssize_t k = hs; k < he && ascii; k++) ascii = at(t, k) < 128;
    Py_ssize_t ts = -1, te = -1;
    if (!ascii) kind = 3;
    else if (!ascii_quad(t, hs, he)) {
        Py_ssize_t de = he, dot;
        while (de > hs && at(t, de - 1) == '.') de--;
        for (dot = de - 1; dot >= hs && at(t, dot) != '.'; dot--) {}
        if (dot <= hs || !good_labels(t, hs, de)) return 0;
        kind = 2;
        ts = dot + 1;
        te = de;
    }
    /* The value _norm_url makes (scheme and host in lower case) for kinds 1 and 2; the TLD for 2;
     * whether marks.link_role can say more than "" (a "](" before, a '[' after). */
    PyObject *value = Py_None, *tld = Py_None, *row = NULL;
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    if (kind != 3 && (value = lowered(t, s, end, body, hs, he)) == NULL) goto done;
    if (kind == 2) {
        Py_DECREF(tld);
        if ((tld = PyUnicode_Substring(t->text, ts, te)) == NULL) goto done;
    }
    int markup = (s >= 2 && at(t, s - 2) == ']' && at(t, s - 1) == '(') || (end < t->n && at(t, end) == '[');
    row = Py_BuildValue("(nnnnniOOO)", p, s, end, hs, he, kind, tld, value, markup ? Py_True : Py_False);
done:
    Py_XDECREF(value);
    Py_XDECREF(tld);
    if (row == NULL) return -1;
    int rc = PyList_Append(out, row);
    Py_DECREF(row);
    return rc;
}

/* The next "://" at or after i, else -1: memchr for ':' on one-byte text, a tight loop per kind on the others. */
#define FIND_COLON(TYPE)                                                \
    do {                                                                \
        const TYPE *d = (const TYPE *)t->data;                          \
        while (i + 2 < t->n && d[i] != ':') i++;                        \
    } while (0)

static Py_ssize_t next_sep(const Text *t, Py_ssize_t i) {
    for (; i + 2 < t->n; i++) {
        if (t->kind == PyUnicode_1BYTE_KIND) {
            const char *base = (const char *)t->data, *hit = memchr(base + i, ':', (size_t)(t->n - 2 - i));
            if (hit == NULL) return -1;
            i = (Py_ssize_t)(hit - base);
        } else if (t->kind == PyUnicode_2BYTE_KIND) FIND_COLON(Py_UCS2);
        else FIND_COLON(Py_UCS4);
        if (i + 2 >= t->n) return -1;
        if (at(t, i + 1) == '/' && at(t, i + 2) == '/') return i;
    }
    return -1;
}

static PyObject *urls(PyObject *self, PyObject *args) {
    PyObject *text, *seq;
    Schemes sc;
    if (!PyArg_ParseTuple(args, "UO:urls", &text, &seq) || schemes_from(seq, &sc) < 0) return NULL;
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), text};
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    for (Py_ssize_t p = next_sep(&t, 0); p >= 0; p = next_sep(&t, p + 3)) {
        if (url_row(&t, p, &sc, out) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

static PyMethodDef METHODS[] = {
    {"domain_tails", domain_tails, METH_VARARGS,
     "domain_tails(text) -> [(s, dot, end, tld_start, tld_end)] for DOMAIN_TAIL_RE.finditer(text)."},
    {"domains", domains, METH_VARARGS, "domains(text, ctx, consts): scan._domains_py's occurrences, added in order."},
    {"file_names", file_names, METH_VARARGS, "file_names(text, exts, url_spans, add, FILENAME): scan_host.file_names_py's occurrences."},
    {"hashes", hashes, METH_VARARGS, "hashes(text, kinds, url_spans, add): scan._hashes_py's occurrences."},
    {"ipv4", ipv4, METH_VARARGS, "ipv4(text, url_spans, add, consts): scan._ipv4_py's occurrences."},
    {"guids", guids, METH_VARARGS, "guids(text, url_spans, add, GUID): scan_host.guids_py's occurrences."},
    {"hex_runs", hex_runs, METH_VARARGS, "hex_runs(text) -> [(s, e)]: maximal runs of >= 32 ASCII hex digits."},
    {"present", present, METH_VARARGS, "present(text, words) -> tuple of bools: word in text, for each word."},
    {"urls", urls, METH_VARARGS,
     "urls(text, schemes) -> [(sep, s, e, scheme_end, host_start, host_end, kind, tld_start, tld_end)]."},
    {"ids", ids, METH_VARARGS,
     "ids(text) -> (cves, attack, asns, packages, bitcoin, monero): the literal-led families' matches."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "extract_scan",
                                    "C twins of huntfeed.extract.scan._domain_tails_py, hex_runs_py, present_py and literal_ids_py.", -1, METHODS,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_extract_scan(void) {
    for (int r = 0; r < ROLES; r++)
        if (ROLE_STR[r] == NULL && (ROLE_STR[r] = PyUnicode_InternFromString(ROLE_NAMES[r])) == NULL) return NULL;
    for (int c = 0; c < 256; c++)
        HEXTAB[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    for (int c = 0; c < 128; c++) IDTAB[c] = (unsigned char)is_word((Py_UCS4)c);
    for (int c = 0; c < 128; c++) URLTAB[c] = !is_space((Py_UCS4)c) && strchr("\"'<>`][{}|\\^", c) == NULL;
    URLTAB[0] = 1; /* strchr finds the terminating NUL: NUL is no excluded character */
    for (const char *c = "TtMAaCconi13b4"; *c; c++) IDTAB[(unsigned char)*c] |= 2;
    return PyModule_Create(&MODULE);
}
