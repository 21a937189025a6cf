/* The ATT&CK classifier's two hot loops in C: hashed term counts and the sentence-by-weights product.
 *
 * term_counts(texts, lo, hi) gives, for already lower-cased texts, the CSR arrays of
 * huntfeed.attack.hashing.raw_counts before its "1 + log": per text the sorted columns of its
 * features (scikit-learn's HashingVectorizer word 1-2 grams on the token pattern
 * (?u)\b\w[\w.-]*\w\b|\b\w\b, and char_wb lo..hi grams of each whitespace-split word, both hashed by
 * MurmurHash3 x86 32-bit of their UTF-8 bytes, column abs(hash) % 2**20, char columns after the word
 * ones) and how often each occurs.  The pure-Python twin is hashing.TermHasher; tests compare both.
 *
 * product(...) is margins.DenseRows.product: each output margin is the float32 sum, in the row's
 * stored order, of value * weight over the row's terms (what SciPy's csr_matmat adds), with weight
 * rows read dense where the model keeps them dense and from the sparse matrix otherwise.
 *
 * Every index read from an argument is checked before use; bad input raises, never crashes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#define N_WORD (1u << 20)
#define N_CHAR (1u << 20)
#define MAX_GRAM 64 /* longest char n-gram accepted (the model uses 3..5) */

/* ---------- MurmurHash3 x86 32-bit, seed 0 (Appleby's reference, as mmh3 runs it) ---------- */

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static inline uint32_t load_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t murmur3_32(const unsigned char *data, size_t len) {
    const uint32_t c1 = 0xcc9e2d51u, c2 = 0x1b873593u;
    uint32_t h = 0, k;
    size_t nblocks = len / 4, i;
    for (i = 0; i < nblocks; i++) {
        k = load_le32(data + 4 * i) * c1;
        k = rotl32(k, 15) * c2;
        h ^= k;
        h = rotl32(h, 13) * 5u + 0xe6546b64u;
    }
    const unsigned char *tail = data + 4 * nblocks;
    k = 0;
    switch (len & 3) {
    case 3: k ^= (uint32_t)tail[2] << 16; /* fall through */
    case 2: k ^= (uint32_t)tail[1] << 8;  /* fall through */
    case 1:
        k ^= tail[0];
        k = rotl32(k * c1, 15) * c2;
        h ^= k;
    }
    h ^= (uint32_t)len; /* mmh3 passes the length as a 32-bit int too */
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* scikit-learn's column: abs of the signed hash (in 64 bits: abs(-2**31) is 2**31), modulo n. */
static inline uint32_t column_of(const unsigned char *data, size_t len, uint32_t n) {
    int64_t s = (int32_t)murmur3_32(data, len);
    if (s < 0) s = -s;
    return (uint32_t)(s % n);
}

/* ---------- growable buffers ---------- */

typedef struct { void *p; size_t len, cap, item; } vec;

static int vec_reserve(vec *v, size_t more) {
    if (more > (SIZE_MAX / v->item) - v->len) { PyErr_NoMemory(); return -1; }
    size_t need = v->len + more;
    if (need <= v->cap) return 0;
    size_t cap = v->cap ? v->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > SIZE_MAX / v->item) { PyErr_NoMemory(); return -1; }
    void *p = PyMem_Realloc(v->p, cap * v->item);
    if (!p) { PyErr_NoMemory(); return -1; }
    v->p = p;
    v->cap = cap;
    return 0;
}

static void vec_free(vec *v) { PyMem_Free(v->p); v->p = NULL; v->len = v->cap = 0; }

/* ---------- one text: its code points, their UTF-8 bytes and where each code point starts ---------- */

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;               /* code points */
    const unsigned char *utf8;  /* the text's UTF-8 */
    const size_t *off;          /* byte offset of code point i (n + 1 entries); NULL for ASCII */
} text_view;

static inline size_t byte_at(const text_view *t, Py_ssize_t i) { return t->off ? t->off[i] : (size_t)i; }

/* re's \w for str patterns: Py_UNICODE_ISALNUM or "_" (sre's SRE_UNI_IS_WORD). */
static inline int is_word(Py_UCS4 c) {
    if (c < 128) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    return Py_UNICODE_ISALNUM(c);
}

static inline int is_space(Py_UCS4 c) {
    if (c < 128) return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
    return Py_UNICODE_ISSPACE(c);
}

static int view_text(PyObject *s, text_view *t, vec *offsets) {
    t->kind = PyUnicode_KIND(s);
    t->data = PyUnicode_DATA(s);
    t->n = PyUnicode_GET_LENGTH(s);
    Py_ssize_t size;
    const char *u = PyUnicode_AsUTF8AndSize(s, &size); /* a lone surrogate raises UnicodeEncodeError */
    if (!u) return -1;
    t->utf8 = (const unsigned char *)u;
    if (PyUnicode_IS_ASCII(s)) { t->off = NULL; return 0; }
    offsets->len = 0;
    if (vec_reserve(offsets, (size_t)t->n + 1) < 0) return -1;
    size_t *off = offsets->p, at = 0;
    for (Py_ssize_t i = 0; i < t->n; i++) {
        off[i] = at;
        Py_UCS4 c = PyUnicode_READ(t->kind, t->data, i);
        at += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
    off[t->n] = at;
    if (at != (size_t)size) { PyErr_SetString(PyExc_RuntimeError, "UTF-8 length mismatch"); return -1; }
    t->off = off;
    return 0;
}

/* ---------- one text's feature columns ---------- */

typedef struct { vec cols, scratch, offsets, padoff, sortbuf; } work;

static inline int push_col(work *w, uint32_t col) {
    if (w->cols.len == w->cols.cap && vec_reserve(&w->cols, 1) < 0) return -1;
    ((uint32_t *)w->cols.p)[w->cols.len++] = col;
    return 0;
}

/* Word unigrams and bigrams ("a b") of the token pattern, in the text's order. */
static int word_grams(const text_view *t, work *w) {
    Py_ssize_t i = 0, n = t->n, pa = -1, pb = -1;
    while (i < n) {
        while (i < n && !is_word(PyUnicode_READ(t->kind, t->data, i))) i++;
        if (i >= n) break;
        /* A token starts at a word character after a non-word one; it runs over [\w.-] and ends after
           the last word character of that run (the regex's backtracking to "\w\b"). */
        Py_ssize_t a = i, last = i, q = i + 1;
        for (; q < n; q++) {
            Py_UCS4 c = PyUnicode_READ(t->kind, t->data, q);
            if (is_word(c)) last = q;
            else if (c != '.' && c != '-') break;
        }
        Py_ssize_t b = last + 1;
        size_t ba = byte_at(t, a), bb = byte_at(t, b);
        if (push_col(w, column_of(t->utf8 + ba, bb - ba, N_WORD)) < 0) return -1;
        if (pa >= 0) {
            size_t pba = byte_at(t, pa), pbb = byte_at(t, pb), l1 = pbb - pba, l2 = bb - ba;
            w->scratch.len = 0;
            if (vec_reserve(&w->scratch, l1 + l2 + 1) < 0) return -1;
            unsigned char *s = w->scratch.p;
            memcpy(s, t->utf8 + pba, l1);
            s[l1] = ' ';
            memcpy(s + l1 + 1, t->utf8 + ba, l2);
            if (push_col(w, column_of(s, l1 + l2 + 1, N_WORD)) < 0) return -1;
        }
        pa = a;
        pb = b;
        i = b;
    }
    return 0;
}

/* scikit-learn's _char_wb_ngrams of one whitespace-free word [a, b): " word " padded, for n in lo..hi
   every n-gram, and the whole padded word once (then no longer n) when it is no longer than n. */
static int char_grams(const text_view *t, Py_ssize_t a, Py_ssize_t b, int lo, int hi, work *w) {
    size_t ba = byte_at(t, a), bb = byte_at(t, b), nbytes = bb - ba;
    Py_ssize_t plen = b - a + 2; /* padded, in code points */
    w->scratch.len = 0;
    if (vec_reserve(&w->scratch, nbytes + 2) < 0) return -1;
    w->padoff.len = 0;
    if (vec_reserve(&w->padoff, (size_t)plen + 1) < 0) return -1;
    unsigned char *s = w->scratch.p;
    size_t *po = w->padoff.p;
    s[0] = ' ';
    memcpy(s + 1, t->utf8 + ba, nbytes);
    s[nbytes + 1] = ' ';
    po[0] = 0;
    for (Py_ssize_t k = 0; k <= b - a; k++) po[k + 1] = 1 + byte_at(t, a + k) - ba;
    po[plen] = nbytes + 2;
    for (int ng = lo; ng <= hi; ng++) {
        Py_ssize_t offset = 0;
        do {
            Py_ssize_t end = offset + ng < plen ? offset + ng : plen; /* Python's slice clips */
            if (push_col(w, N_WORD + column_of(s + po[offset], po[end] - po[offset], N_CHAR)) < 0) return -1;
            if (offset + ng >= plen) break;
            offset++;
        } while (1);
        if (offset == 0) break; /* a short word counts once */
    }
    return 0;
}

static int char_wb(const text_view *t, int lo, int hi, work *w) {
    Py_ssize_t i = 0, n = t->n;
    while (i < n) {
        while (i < n && is_space(PyUnicode_READ(t->kind, t->data, i))) i++;
        if (i >= n) break;
        Py_ssize_t a = i;
        while (i < n && !is_space(PyUnicode_READ(t->kind, t->data, i))) i++;
        if (char_grams(t, a, i, lo, hi, w) < 0) return -1;
    }
    return 0;
}

/* Sort one text's columns (below 2**21): insertion sort for a few, else three stable 7-bit radix passes. */
static int sort_cols(uint32_t *c, size_t n, work *w) {
    if (n <= 48) {
        for (size_t i = 1; i < n; i++) {
            uint32_t v = c[i];
            size_t j = i;
            while (j > 0 && c[j - 1] > v) { c[j] = c[j - 1]; j--; }
            c[j] = v;
        }
        return 0;
    }
    w->sortbuf.len = 0;
    if (vec_reserve(&w->sortbuf, n) < 0) return -1;
    uint32_t *src = c, *dst = w->sortbuf.p;
    for (int shift = 0; shift < 21; shift += 7) {
        size_t count[129] = {0};
        for (size_t i = 0; i < n; i++) count[((src[i] >> shift) & 127) + 1]++;
        for (int d = 0; d < 128; d++) count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & 127]++] = src[i];
        uint32_t *tmp = src; src = dst; dst = tmp;
    }
    if (src != c) memcpy(c, src, n * sizeof(uint32_t)); /* (three passes: the result is in the buffer) */
    return 0;
}

static PyObject *term_counts(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *texts;
    int lo, hi;
    if (!PyArg_ParseTuple(args, "Oii:term_counts", &texts, &lo, &hi)) return NULL;
    if (!PyList_Check(texts)) { PyErr_SetString(PyExc_TypeError, "texts must be a list of str"); return NULL; }
    if (lo < 1 || hi < lo || hi > MAX_GRAM) {
        PyErr_Format(PyExc_ValueError, "char n-gram range must be 1 <= lo <= hi <= %d", MAX_GRAM);
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(texts);
    work w = {{NULL, 0, 0, 4}, {NULL, 0, 0, 1}, {NULL, 0, 0, sizeof(size_t)}, {NULL, 0, 0, sizeof(size_t)},
              {NULL, 0, 0, 4}};
    vec indptr = {NULL, 0, 0, 4}, indices = {NULL, 0, 0, 4}, counts = {NULL, 0, 0, 4};
    PyObject *result = NULL;
    if (vec_reserve(&indptr, (size_t)n + 1) < 0) goto done;
    ((int32_t *)indptr.p)[indptr.len++] = 0;
    for (Py_ssize_t r = 0; r < n; r++) {
        PyObject *s = PyList_GET_ITEM(texts, r);
        if (!PyUnicode_Check(s)) {
            PyErr_Format(PyExc_TypeError, "texts[%zd] is %.100s, not str", r, Py_TYPE(s)->tp_name);
            goto done;
        }
        text_view t;
        if (view_text(s, &t, &w.offsets) < 0) goto done;
        w.cols.len = 0;
        if (word_grams(&t, &w) < 0 || char_wb(&t, lo, hi, &w) < 0) goto done;
        uint32_t *c = w.cols.p;
        size_t m = w.cols.len;
        if (sort_cols(c, m, &w) < 0 || vec_reserve(&indices, m) < 0 || vec_reserve(&counts, m) < 0) goto done;
        int32_t *out_i = indices.p;
        float *out_c = counts.p;
        for (size_t i = 0; i < m;) {
            size_t j = i + 1;
            while (j < m && c[j] == c[i]) j++;
            out_i[indices.len++] = (int32_t)c[i];
            out_c[counts.len++] = (float)(j - i); /* exact below 2**24, as SciPy's float32 sum is */
            i = j;
        }
        if (indices.len > INT32_MAX) { PyErr_SetString(PyExc_OverflowError, "more than 2**31 entries"); goto done; }
        ((int32_t *)indptr.p)[indptr.len++] = (int32_t)indices.len;
    }
    result = Py_BuildValue("(y#y#y#)", (const char *)indptr.p, (Py_ssize_t)(indptr.len * 4),
                           (const char *)(indices.p ? indices.p : ""), (Py_ssize_t)(indices.len * 4),
                           (const char *)(counts.p ? counts.p : ""), (Py_ssize_t)(counts.len * 4));
done:
    vec_free(&w.cols); vec_free(&w.scratch); vec_free(&w.offsets); vec_free(&w.padoff); vec_free(&w.sortbuf);
    vec_free(&indptr); vec_free(&indices); vec_free(&counts);
    return result;
}

/* ---------- the product ---------- */

typedef struct { Py_buffer b; int held; } buf;

/* dst += a * src over n floats. Each element is its own sum, so vector instructions change no float;
   GCC's -O2 cost model leaves this loop scalar, hence O3, and 8 floats at a time where the CPU has AVX
   (chosen at load time). No FMA: a fused multiply-add rounds once where SciPy rounds twice. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define AXPY_ATTR __attribute__((optimize("O3"), target_clones("avx", "default")))
#elif defined(__GNUC__) && !defined(__clang__)
#define AXPY_ATTR __attribute__((optimize("O3")))
#else
#define AXPY_ATTR
#endif
AXPY_ATTR
static void axpy(float *restrict dst, const float *restrict src, float a, Py_ssize_t n) {
    for (Py_ssize_t l = 0; l < n; l++) {
        float t = a * src[l];
        dst[l] += t;
    }
}

/* A C-contiguous buffer of `want` format ('i' int32, 'h' int16, 'f' float32), writable or not. */
static int get_buf(PyObject *o, buf *out, const char *name, const char *want, int writable) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(o, &out->b, flags) < 0) return -1;
    out->held = 1;
    const char *f = out->b.format ? out->b.format : "B";
    if (*f == '<' || *f == '=' || *f == '@') f++;
    int ok = 0;
    for (const char *k = want; *k; k++) {
        Py_ssize_t size = *k == 'h' ? 2 : 4;
        if (f[0] == *k && f[1] == '\0' && out->b.itemsize == size) ok = 1;
        if (*k == 'i' && f[0] == 'l' && f[1] == '\0' && out->b.itemsize == 4) ok = 1;
    }
    if (!ok) { PyErr_Format(PyExc_TypeError, "%s: wrong element type (%s)", name, f); return -1; }
    return 0;
}

static void release(buf *b, int n) {
    for (int i = 0; i < n; i++) if (b[i].held) PyBuffer_Release(&b[i].b);
}

static inline Py_ssize_t items(const buf *b) { return b->b.len / b->b.itemsize; }

static inline Py_ssize_t kind_of(const void *kind, int kind16, int32_t f) {
    return kind16 ? ((const int16_t *)kind)[f] : ((const int32_t *)kind)[f];
}

/* One term: a * (feature f's weight row) added into one output row. A dense weight row holds zeros
   where the sparse one stores nothing; a * 0 adds +-0, which leaves every sum as it is (a sum that
   starts at +0 is never -0). */
static inline void add_term(float *restrict dst, int32_t f, float a, const void *kind, int kind16,
                            const float *heavy, const int32_t *wp, const int32_t *wj, const float *wv,
                            Py_ssize_t labels, int *bad) {
    Py_ssize_t kd = kind_of(kind, kind16, f);
    if (kd >= 0) {
        axpy(dst, heavy + kd * labels, a, labels);
    } else {
        for (int32_t q = wp[f]; q < wp[f + 1]; q++) {
            float t = a * wv[q];
            if ((uint32_t)wj[q] < (uint32_t)labels) dst[wj[q]] += t;
            else *bad = 1;
        }
    }
}

/* +1 where every row's columns rise, -1 where every row's fall, 0 otherwise. */
static int row_order(const int32_t *xp, const int32_t *xj, Py_ssize_t n) {
    int up = 1, down = 1;
    for (Py_ssize_t r = 0; r < n && (up || down); r++)
        for (int32_t k = xp[r] + 1; k < xp[r + 1]; k++) {
            if (xj[k] <= xj[k - 1]) up = 0;
            if (xj[k] >= xj[k - 1]) down = 0;
        }
    return up ? 1 : down ? -1 : 0;
}

/* Row by row, each row's terms in stored order: every margin gets its terms in SciPy's order. */
static void by_rows(const int32_t *xp, const int32_t *xj, const float *xv, Py_ssize_t n, const void *kind,
                    int kind16, const float *heavy, const int32_t *wp, const int32_t *wj, const float *wv,
                    Py_ssize_t labels, float *out, int *bad) {
    for (Py_ssize_t r = 0; r < n; r++)
        for (int32_t k = xp[r]; k < xp[r + 1]; k++)
            add_term(out + r * labels, xj[k], xv[k], kind, kind16, heavy, wp, wj, wv, labels, bad);
}

/* Feature by feature (rising where the rows rise, falling where they fall), so each row still gets
   its terms in stored order while a weight row is read once for all the rows that have it: the
   output rows (a few MB) are what moves through the cache, not the weight rows (16 MB). */
static int by_features(const int32_t *xp, const int32_t *xj, const float *xv, Py_ssize_t n, Py_ssize_t xnnz,
                       Py_ssize_t nfeat, const void *kind, int kind16, const float *heavy, const int32_t *wp,
                       const int32_t *wj, const float *wv, Py_ssize_t labels, float *out, int order, int *bad) {
    /* The terms that have weights, as (feature, row, value), sorted by feature (stable LSD radix). */
    size_t m = 0;
    for (Py_ssize_t k = 0; k < xnnz; k++) m += kind_of(kind, kind16, xj[k]) != -2;
    size_t each = sizeof(uint32_t) * 2 + sizeof(float);
    if (m > SIZE_MAX / each / 2) { PyErr_NoMemory(); return -1; }
    char *mem = PyMem_Malloc(m ? m * each * 2 : 1);
    if (!mem) { PyErr_NoMemory(); return -1; }
    uint32_t *f0 = (uint32_t *)mem, *r0 = f0 + m, *f1 = r0 + m, *r1 = f1 + m;
    float *v0 = (float *)(r1 + m), *v1 = v0 + m;
    Py_BEGIN_ALLOW_THREADS
    size_t j = 0;
    for (Py_ssize_t r = 0; r < n; r++)
        for (int32_t k = xp[r]; k < xp[r + 1]; k++)
            if (kind_of(kind, kind16, xj[k]) != -2) { f0[j] = (uint32_t)xj[k]; r0[j] = (uint32_t)r; v0[j] = xv[k]; j++; }
    for (int shift = 0; nfeat > 1 && ((size_t)(nfeat - 1) >> shift) > 0; shift += 11) {
        size_t count[2049] = {0};
        for (size_t i = 0; i < m; i++) count[((f0[i] >> shift) & 2047) + 1]++;
        for (int d = 0; d < 2048; d++) count[d + 1] += count[d];
        for (size_t i = 0; i < m; i++) {
            size_t at = count[(f0[i] >> shift) & 2047]++;
            f1[at] = f0[i]; r1[at] = r0[i]; v1[at] = v0[i];
        }
        uint32_t *t = f0; f0 = f1; f1 = t;
        t = r0; r0 = r1; r1 = t;
        float *u = v0; v0 = v1; v1 = u;
    }
    for (size_t i = 0; i < m; i++) {
        size_t at = order > 0 ? i : m - 1 - i;
        add_term(out + (Py_ssize_t)r0[at] * labels, (int32_t)f0[at], v0[at], kind, kind16, heavy, wp, wj, wv, labels, bad);
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(mem);
    return 0;
}

/* indptr of `rows` rows over `nnz` entries: starts at 0, never falls, ends at nnz. */
static int check_indptr(const int32_t *p, Py_ssize_t rows, Py_ssize_t nnz, const char *name) {
    if (p[0] != 0 || p[rows] != nnz) goto bad;
    for (Py_ssize_t i = 0; i < rows; i++) if (p[i + 1] < p[i]) goto bad;
    return 0;
bad:
    PyErr_Format(PyExc_ValueError, "%s is not a valid indptr", name);
    return -1;
}

static PyObject *product(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *o[9];
    if (!PyArg_ParseTuple(args, "OOOOOOOOO:product", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7], &o[8]))
        return NULL;
    static const char *names[9] = {"x_indptr", "x_indices", "x_data", "kind", "rows", "w_indptr", "w_indices",
                                   "w_data", "out"};
    static const char *fmts[9] = {"i", "i", "f", "hi", "f", "i", "i", "f", "f"};
    buf b[9];
    memset(b, 0, sizeof b);
    for (int i = 0; i < 9; i++)
        if (get_buf(o[i], &b[i], names[i], fmts[i], i == 8) < 0) { release(b, 9); return NULL; }
    PyObject *result = NULL;
    Py_ssize_t n = items(&b[0]) - 1, xnnz = items(&b[1]), nfeat = items(&b[3]), nw = items(&b[5]) - 1;
    Py_ssize_t wnnz = items(&b[6]);
    Py_ssize_t labels = b[4].b.ndim == 2 ? b[4].b.shape[1] : -1;
    Py_ssize_t nheavy = b[4].b.ndim == 2 ? b[4].b.shape[0] : -1;
    if (n < 0 || nw < 0 || labels < 0 || items(&b[2]) != xnnz || items(&b[7]) != wnnz || nw != nfeat
        || b[8].b.ndim != 2 || b[8].b.shape[0] != n || b[8].b.shape[1] != labels) {
        PyErr_SetString(PyExc_ValueError, "product: array sizes do not fit together");
        goto done;
    }
    const int32_t *xp = b[0].b.buf, *xj = b[1].b.buf, *wp = b[5].b.buf, *wj = b[6].b.buf;
    const float *xv = b[2].b.buf, *heavy = b[4].b.buf, *wv = b[7].b.buf;
    float *out = b[8].b.buf;
    int kind16 = b[3].b.itemsize == 2;
    const void *kind = b[3].b.buf;
    /* Only what this call reads is checked (the whole weight matrix, 2 million rows, took 4 ms a call):
       x's rows, its features' kinds and weight-row bounds here, the light rows' labels as they are read. */
    if (check_indptr(xp, n, xnnz, "x_indptr") < 0) goto done;
    if (wp[0] != 0 || wp[nw] != wnnz) { PyErr_SetString(PyExc_ValueError, "w_indptr is not a valid indptr"); goto done; }
    for (Py_ssize_t k = 0; k < xnnz; k++) {
        int32_t f = xj[k];
        if (f < 0 || f >= nfeat) { PyErr_SetString(PyExc_ValueError, "x_indices out of range"); goto done; }
        Py_ssize_t kd = kind_of(kind, kind16, f);
        if (kd >= nheavy || kd < -2) { PyErr_SetString(PyExc_ValueError, "kind out of range"); goto done; }
        if (wp[f] < 0 || wp[f] > wp[f + 1] || wp[f + 1] > wnnz) {
            PyErr_SetString(PyExc_ValueError, "w_indptr is not a valid indptr");
            goto done;
        }
    }
    int order = row_order(xp, xj, n), bad = 0;
    if (order == 0) {
        Py_BEGIN_ALLOW_THREADS
        by_rows(xp, xj, xv, n, kind, kind16, heavy, wp, wj, wv, labels, out, &bad);
        Py_END_ALLOW_THREADS
    } else if (by_features(xp, xj, xv, n, xnnz, nfeat, kind, kind16, heavy, wp, wj, wv, labels, out, order, &bad) < 0) {
        goto done;
    }
    if (bad) { PyErr_SetString(PyExc_ValueError, "w_indices out of range (out is left half done)"); goto done; }
    result = Py_NewRef(Py_None);
done:
    release(b, 9);
    return result;
}

/* ---------- the window margins ---------- */

/* numpy's maximum: NaN when either is NaN. */
static inline float np_maximum(float a, float b) { return a != a ? a : (b != b ? b : (a >= b ? a : b)); }

/* classifier.SentenceModel.window_decision after the product, float for float: NumPy's float64 and
   float32 steps done in the same types and the same order, without its n x labels temporaries. */
static PyObject *windows(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *o_raw, *o_norms, *o_dots, *o_bias, *o_out;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "OOOOnO:windows", &o_raw, &o_norms, &o_dots, &o_bias, &width, &o_out)) return NULL;
    if (width < 1 || width > 64) { PyErr_SetString(PyExc_ValueError, "width must be 1..64"); return NULL; }
    if (!PyTuple_Check(o_dots) || PyTuple_GET_SIZE(o_dots) != width - 1) {
        PyErr_SetString(PyExc_TypeError, "dots must be a tuple of width - 1 arrays");
        return NULL;
    }
    buf b[4 + 63];
    memset(b, 0, sizeof b);
    PyObject *result = NULL;
    double *num = NULL;
    if (get_buf(o_raw, &b[0], "raw", "f", 0) < 0 || get_buf(o_norms, &b[1], "norms", "f", 0) < 0
        || get_buf(o_bias, &b[2], "bias", "f", 0) < 0 || get_buf(o_out, &b[3], "out", "f", 1) < 0)
        goto done;
    for (Py_ssize_t lag = 1; lag < width; lag++)
        if (get_buf(PyTuple_GET_ITEM(o_dots, lag - 1), &b[3 + lag], "dots", "f", 0) < 0) goto done;
    if (b[0].b.ndim != 2 || b[3].b.ndim != 2) { PyErr_SetString(PyExc_ValueError, "raw and out must be 2-d"); goto done; }
    Py_ssize_t n = b[0].b.shape[0], L = b[0].b.shape[1], total = 0;
    for (Py_ssize_t size = 1; size <= width; size++) total += n - size + 1 > 0 ? n - size + 1 : 0;
    int fits = items(&b[1]) == n && items(&b[2]) == L && b[3].b.shape[0] == total && b[3].b.shape[1] == L;
    for (Py_ssize_t lag = 1; lag < width && fits; lag++) fits = items(&b[3 + lag]) == (n - lag > 0 ? n - lag : 0);
    if (!fits) { PyErr_SetString(PyExc_ValueError, "windows: array sizes do not fit together"); goto done; }
    if (n > 0 && (size_t)n > SIZE_MAX / sizeof(double) / (size_t)(L ? L : 1)) { PyErr_NoMemory(); goto done; }
    num = PyMem_Malloc(n && L ? (size_t)n * (size_t)L * sizeof(double) : 1);
    if (!num) { PyErr_NoMemory(); goto done; }
    const float *raw = b[0].b.buf, *norms = b[1].b.buf, *bias = b[2].b.buf;
    float *out = b[3].b.buf;
    Py_BEGIN_ALLOW_THREADS
    /* Single sentences: raw (as float64) + bias, rounded to float32; num = raw * norm (float64). */
    for (Py_ssize_t j = 0; j < n; j++) {
        double nj = norms[j];
        for (Py_ssize_t l = 0; l < L; l++) {
            double r = raw[j * L + l];
            out[j * L + l] = (float)(r + (double)bias[l]);
            num[j * L + l] = r * nj;
        }
    }
    Py_ssize_t at = n;
    for (Py_ssize_t size = 2; size <= width; size++) {
        Py_ssize_t m = n - size + 1;
        if (m <= 0) break;
        for (Py_ssize_t j = 0; j < m; j++) {
            /* The squared norm of the run's sum in float32: the members' squares, then twice each
               pair's dot product, lag by lag, in window_decision's order. */
            float sq = 0.0f;
            for (Py_ssize_t k = 0; k < size; k++) sq = sq + norms[j + k] * norms[j + k];
            for (Py_ssize_t lag = 1; lag < size; lag++) {
                const float *d = b[3 + lag].b.buf;
                for (Py_ssize_t k = 0; k < size - lag; k++) sq = sq + 2.0f * d[j + k];
            }
            double den = sqrtf(np_maximum(sq, (float)1e-12));
            const float *next = raw + (j + size - 1) * L;
            double nn = norms[j + size - 1];
            double *row = num + j * L;
            float *dst = out + (at + j) * L;
            for (Py_ssize_t l = 0; l < L; l++) {
                row[l] = row[l] + (double)next[l] * nn;
                dst[l] = (float)(row[l] / den + (double)bias[l]);
            }
        }
        at += m;
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(num);
    release(b, 4 + 63);
    return result;
}

static PyMethodDef methods[] = {
    {"term_counts", term_counts, METH_VARARGS,
     "term_counts(texts, lo, hi) -> (indptr, indices, counts) as int32/int32/float32 bytes, for lower-cased texts."},
    {"product", product, METH_VARARGS,
     "product(x_indptr, x_indices, x_data, kind, rows, w_indptr, w_indices, w_data, out): out += x @ w, "
     "each margin's terms in the row's stored order."},
    {"windows", windows, METH_VARARGS,
     "windows(raw, norms, dots, bias, width, out): the margins of every sentence and run of up to width "
     "sentences, as SentenceModel.window_decision computes them from the product."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "attack_kernels", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_attack_kernels(void) { return PyModule_Create(&module); }
