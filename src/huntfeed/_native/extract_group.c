/* The grouping loop of huntfeed.extract.engine.collect (twin: engine._group_py) in one C loop.
 *
 * group(accs, piece, base, occs, fanged, dstarts, ostarts, ioc, refs, consts) folds the
 * occurrences of one piece into ``accs``, the dict (type, value) -> accumulator list that the
 * twin builds: each span mapped from the refanged digest back to the digest (the replacements,
 * ``fanged`` = (new_starts, new_ends, old_starts, old_ends, loose)) and from the digest to the
 * piece (the segments), a hash relabelled after its label, the IOC / reference / version flags,
 * the roles and up to three plain sentences kept. ``consts`` = (hash kinds, network kinds, IPV4,
 * FILENAME, role sets, hash_kind, version_context): the two functions are the twin's own, called
 * only where the twin would call them (a label that may name a hash; an IPv4 address), so the
 * rare answers stay in one place. Offsets are read as Python ints; a slice of the piece is taken
 * as Python slices it (PySequence_GetSlice), so no index can read outside the string.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    Py_ssize_t n;
    Py_ssize_t *v;
} Arr;

static void arr_free(Arr *a) {
    PyMem_Free(a->v);
    a->v = NULL;
    a->n = 0;
}

/* A sequence of ints as an array (``pair`` >= 0: item ``pair`` of each 2-tuple of the sequence). */
static int to_arr(PyObject *seq, Arr *out, int pair) {
    out->n = 0;
    out->v = NULL;
    PyObject *fast = PySequence_Fast(seq, "group: expected a sequence of ints");
    if (fast == NULL) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    out->v = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(Py_ssize_t));
    if (out->v == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    PyObject **items = PySequence_Fast_ITEMS(fast);
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *item = items[k];
        if (pair >= 0) {
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
                PyErr_SetString(PyExc_TypeError, "group: expected (start, end) pairs");
                goto fail;
            }
            item = PyTuple_GET_ITEM(item, pair);
        }
        Py_ssize_t x = PyLong_AsSsize_t(item);
        if (x == -1 && PyErr_Occurred()) goto fail;
        out->v[k] = x;
    }
    out->n = n;
    Py_DECREF(fast);
    return 0;
fail:
    Py_DECREF(fast);
    arr_free(out);
    return -1;
}

static int to_flags(PyObject *seq, char **out, Py_ssize_t *n_out) {
    *out = NULL;
    PyObject *fast = PySequence_Fast(seq, "group: expected a sequence of flags");
    if (fast == NULL) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    char *v = PyMem_Malloc((size_t)(n > 0 ? n : 1));
    if (v == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        int t = PyObject_IsTrue(PySequence_Fast_GET_ITEM(fast, k));
        if (t < 0) {
            PyMem_Free(v);
            Py_DECREF(fast);
            return -1;
        }
        v[k] = (char)t;
    }
    Py_DECREF(fast);
    *out = v;
    *n_out = n;
    return 0;
}

/* bisect_right / bisect_left over a[0:n]. */
static Py_ssize_t bis_right(const Py_ssize_t *a, Py_ssize_t n, Py_ssize_t x) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (x < a[mid]) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static Py_ssize_t bis_left(const Py_ssize_t *a, Py_ssize_t n, Py_ssize_t x) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* context._inside: the last span starting at or before pos holds it (ends are < 2**62). */
static int inside(const Arr *lo, const Arr *hi, Py_ssize_t pos) {
    if (lo->n == 0) return 0;
    Py_ssize_t i = bis_right(lo->v, lo->n, pos) - 1;
    return i >= 0 && lo->v[i] <= pos && pos < hi->v[i];
}

/* The twin's label gate: piece[max(0, s - 24):s].lower() holds "hash", "ssdeep", "tlsh" or "ja".
 * 1: it may (or a character is not ASCII: the twin's own test decides), 0: it does not. */
static int label_may_name(PyObject *piece, Py_ssize_t s) {
    Py_ssize_t len = PyUnicode_GET_LENGTH(piece);
    Py_ssize_t hi = s < len ? s : len, lo = s - 24 > 0 ? s - 24 : 0;
    if (hi <= lo) return 0;
    int kind = PyUnicode_KIND(piece);
    const void *data = PyUnicode_DATA(piece);
    char buf[25];
    Py_ssize_t m = 0;
    for (Py_ssize_t i = lo; i < hi && m < 24; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= 128) return 1;
        buf[m++] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
    buf[m] = '\0';
    return strstr(buf, "hash") || strstr(buf, "ssdeep") || strstr(buf, "tlsh") || strstr(buf, "ja");
}

static int call_flag(PyObject *fn, PyObject *piece, Py_ssize_t s) {
    PyObject *r = PyObject_CallFunction(fn, "On", piece, s);
    if (r == NULL) return -1;
    int t = PyObject_IsTrue(r);
    Py_DECREF(r);
    return t;
}

static int set_item(PyObject *list, Py_ssize_t i, PyObject *value) { /* steals value */
    if (value == NULL) return -1;
    return PyList_SetItem(list, i, value);
}

static int set_flag(PyObject *list, Py_ssize_t i, int flag) { return set_item(list, i, PyBool_FromLong(flag)); }

/* engine._keep_plain: up to three (snippet, start, end) of a live network value. */
static int keep_plain(PyObject *acc, PyObject *piece, Py_ssize_t s, Py_ssize_t e) {
    PyObject *plain = PyList_GET_ITEM(acc, 10);
    if (plain != Py_None && (!PyList_Check(plain) || PyList_GET_SIZE(plain) >= 3)) return 0;
    Py_ssize_t lo = s - 220 > 0 ? s - 220 : 0;
    PyObject *text = PySequence_GetSlice(piece, lo, e < PY_SSIZE_T_MAX - 140 ? e + 140 : PY_SSIZE_T_MAX);
    if (text == NULL) return -1;
    PyObject *snippet = Py_BuildValue("(Nnn)", text, s - lo, e - lo);
    if (snippet == NULL) return -1;
    if (plain == Py_None) {
        PyObject *list = PyList_New(1);
        if (list == NULL) {
            Py_DECREF(snippet);
            return -1;
        }
        PyList_SET_ITEM(list, 0, snippet);
        return PyList_SetItem(acc, 10, list);
    }
    int rc = PyList_Append(plain, snippet);
    Py_DECREF(snippet);
    return rc;
}

typedef struct {
    PyObject *hashes, *net_types, *ipv4, *filename, *role_sets, *hash_kind, *version_context;
} Consts;

typedef struct {
    PyObject *accs, *piece;
    Py_ssize_t base;
    Arr fns, fne, fos, foe, dst, ost, ioc_lo, ioc_hi, ref_lo, ref_hi;
    char *floose;
    Py_ssize_t nf;
    int whole;
    Consts c;
} Ctx;

/* The first occurrence of a value: its accumulator, as the twin builds it. */
static PyObject *new_acc(Ctx *x, PyObject *kind, PyObject *role, Py_ssize_t s, Py_ssize_t e, int defanged, int loose,
                         int in_ioc) {
    int version = 0;
    if (kind == x->c.ipv4 && (version = call_flag(x->c.version_context, x->piece, s)) < 0) return NULL;
    PyObject *roles = PyDict_GetItemWithError(x->c.role_sets, role);
    if (roles == NULL && PyErr_Occurred()) return NULL;
    int truthy = roles == NULL ? 0 : PyObject_IsTrue(roles);
    if (truthy < 0) return NULL;
    if (truthy) {
        Py_INCREF(roles);
    } else {
        PyObject *one = PyTuple_Pack(1, role);
        if (one == NULL) return NULL;
        roles = PyFrozenSet_New(one);
        Py_DECREF(one);
        if (roles == NULL) return NULL;
    }
    PyObject *raw = PySequence_GetSlice(x->piece, s, e);
    if (raw == NULL) {
        Py_DECREF(roles);
        return NULL;
    }
    return Py_BuildValue("[nnNOOOOOONO]", x->base + s, x->base + e, raw, defanged ? Py_True : Py_False,
                         defanged && !loose ? Py_True : Py_False, loose ? Py_True : Py_False,
                         in_ioc ? Py_True : Py_False,
                         inside(&x->ref_lo, &x->ref_hi, s) ? Py_True : Py_False, version ? Py_True : Py_False,
                         roles, Py_None);
}

/* A later occurrence: the twin's updates, each flag kept as the twin's and / or would keep it. */
static int update_acc(Ctx *x, PyObject *acc, PyObject *kind, PyObject *role, Py_ssize_t s, Py_ssize_t e, int defanged,
                      int loose, int in_ioc) {
    if (!PyList_Check(acc) || PyList_GET_SIZE(acc) < 11) {
        PyErr_SetString(PyExc_TypeError, "group: an accumulator is a list of 11 items");
        return -1;
    }
    Py_ssize_t start = PyLong_AsSsize_t(PyList_GET_ITEM(acc, 0));
    if (start == -1 && PyErr_Occurred()) return -1;
    if (x->base + s < start) {
        if (set_item(acc, 0, PyLong_FromSsize_t(x->base + s)) < 0 || set_item(acc, 1, PyLong_FromSsize_t(x->base + e)) < 0 ||
            set_item(acc, 2, PySequence_GetSlice(x->piece, s, e)) < 0)
            return -1;
    }
    int t;
    if (defanged) {
        if (set_flag(acc, 3, 1) < 0 || (t = PyObject_IsTrue(PyList_GET_ITEM(acc, 4))) < 0) return -1;
        if (!t && set_flag(acc, 4, !loose) < 0) return -1;
    }
    if ((t = PyObject_IsTrue(PyList_GET_ITEM(acc, 5))) < 0 || (t && set_flag(acc, 5, loose) < 0)) return -1;
    if ((t = PyObject_IsTrue(PyList_GET_ITEM(acc, 6))) < 0 || (!t && set_flag(acc, 6, in_ioc) < 0)) return -1;
    if ((t = PyObject_IsTrue(PyList_GET_ITEM(acc, 7))) < 0 ||
        (t && set_flag(acc, 7, inside(&x->ref_lo, &x->ref_hi, s)) < 0))
        return -1;
    if ((t = PyObject_IsTrue(PyList_GET_ITEM(acc, 8))) < 0) return -1;
    if (t) {
        int version = kind == x->c.ipv4 ? call_flag(x->c.version_context, x->piece, s) : 0;
        if (version < 0 || set_flag(acc, 8, version) < 0) return -1;
    }
    PyObject *roles = PyList_GET_ITEM(acc, 9);
    int has = PySequence_Contains(roles, role);
    if (has < 0) return -1;
    if (!has) {
        PyObject *one = PySet_New(NULL);
        if (one == NULL) return -1;
        if (PySet_Add(one, role) < 0) {
            Py_DECREF(one);
            return -1;
        }
        PyObject *merged = PyNumber_Or(roles, one);
        Py_DECREF(one);
        if (set_item(acc, 9, merged) < 0) return -1;
    }
    return 0;
}

/* Replacement map: refanged digest span -> digest span, with its defanged / loose flags. */
static void through_fang(const Ctx *x, Py_ssize_t *ps, Py_ssize_t *pe, int *defanged, int *loose) {
    Py_ssize_t s = *ps, e = *pe, nf = x->nf;
    const Py_ssize_t *fns = x->fns.v, *fne = x->fne.v, *fos = x->fos.v, *foe = x->foe.v;
    Py_ssize_t i = bis_right(fns, nf, s) - 1;
    if (i + 1 < nf && fns[i + 1] < e) { /* engine._through_replacements */
        Py_ssize_t j = bis_left(fns, nf, e) - 1;
        Py_ssize_t lo = (i >= 0 && fne[i] > s) ? i : i + 1;
        if (i >= 0) *ps = s < fne[i] ? fos[i] : foe[i] + (s - fne[i]);
        *pe = e <= fne[j] ? foe[j] : foe[j] + (e - fne[j]);
        *defanged = 1;
        for (Py_ssize_t k = lo; k <= j; k++)
            if (x->floose[k]) *loose = 1;
    } else if (i >= 0) {
        if (s < fne[i]) {
            *defanged = 1;
            *loose = x->floose[i];
            *ps = fos[i];
            *pe = foe[i] + (e > fne[i] ? e - fne[i] : 0);
        } else {
            *ps = s + (foe[i] - fne[i]);
            *pe = e + (foe[i] - fne[i]);
        }
    }
}

/* One occurrence (s, e, kind, value, role): 0 done, -1 error. */
static int one(Ctx *x, PyObject *occ) {
    if (!PyTuple_Check(occ) || PyTuple_GET_SIZE(occ) != 5) {
        PyErr_SetString(PyExc_TypeError, "group: an occurrence is (start, end, kind, value, role)");
        return -1;
    }
    Py_ssize_t s = PyLong_AsSsize_t(PyTuple_GET_ITEM(occ, 0));
    if (s == -1 && PyErr_Occurred()) return -1;
    Py_ssize_t e = PyLong_AsSsize_t(PyTuple_GET_ITEM(occ, 1));
    if (e == -1 && PyErr_Occurred()) return -1;
    PyObject *kind = PyTuple_GET_ITEM(occ, 2), *value = PyTuple_GET_ITEM(occ, 3), *role = PyTuple_GET_ITEM(occ, 4);
    int defanged = 0, loose = 0;
    if (x->nf) through_fang(x, &s, &e, &defanged, &loose);
    if (!x->whole) {
        Py_ssize_t nd = x->dst.n;
        if (nd == 0) {
            PyErr_SetString(PyExc_IndexError, "group: no digest segments");
            return -1;
        }
        Py_ssize_t k = bis_right(x->dst.v, nd, s) - 1;
        if (k < 0) k += nd; /* as the twin's list index would read it */
        Py_ssize_t shift = x->ost.v[k] - x->dst.v[k];
        s += shift;
        e += shift;
    }
    Py_INCREF(kind);
    int rc = -1, t;
    if (s > 0 && (t = PySet_Contains(x->c.hashes, kind)) != 0) {
        if (t < 0) goto done;
        if (label_may_name(x->piece, s)) {
            PyObject *relabelled = PyObject_CallFunction(x->c.hash_kind, "OnO", x->piece, s, kind);
            if (relabelled == NULL) goto done;
            Py_SETREF(kind, relabelled);
            if (kind == Py_None) { /* an imphash or authentihash is not a file hash */
                rc = 0;
                goto done;
            }
        }
    }
    if (loose && kind == x->c.filename) { /* a guessed refang never makes a file name */
        rc = 0;
        goto done;
    }
    int in_ioc = inside(&x->ioc_lo, &x->ioc_hi, s);
    PyObject *key = PyTuple_Pack(2, kind, value);
    if (key == NULL) goto done;
    PyObject *acc = PyDict_GetItemWithError(x->accs, key); /* borrowed */
    if (acc == NULL) {
        if (PyErr_Occurred() || (acc = new_acc(x, kind, role, s, e, defanged, loose, in_ioc)) == NULL) {
            Py_DECREF(key);
            goto done;
        }
        int set = PyDict_SetItem(x->accs, key, acc);
        Py_DECREF(key);
        if (set < 0) {
            Py_DECREF(acc);
            goto done;
        }
    } else {
        Py_INCREF(acc);
        Py_DECREF(key);
        if (update_acc(x, acc, kind, role, s, e, defanged, loose, in_ioc) < 0) {
            Py_DECREF(acc);
            goto done;
        }
    }
    /* A live network value outside the IOC list: its sentence, for the C2-context check. */
    t = (!in_ioc && !defanged) ? PySet_Contains(x->c.net_types, kind) : 0;
    if (t > 0) t = keep_plain(acc, x->piece, s, e);
    Py_DECREF(acc);
    rc = t < 0 ? -1 : 0;
done:
    Py_DECREF(kind);
    return rc;
}

static void ctx_free(Ctx *x) {
    Arr *arrs[] = {&x->fns, &x->fne, &x->fos, &x->foe, &x->dst, &x->ost, &x->ioc_lo, &x->ioc_hi, &x->ref_lo, &x->ref_hi};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) arr_free(arrs[k]);
    PyMem_Free(x->floose);
    x->floose = NULL;
}

static PyObject *group(PyObject *self, PyObject *args) {
    (void)self;
    Ctx x;
    memset(&x, 0, sizeof x);
    PyObject *occs, *fanged, *dstarts, *ostarts, *ioc, *refs, *consts;
    if (!PyArg_ParseTuple(args, "O!UnOO!OOOOO!:group", &PyDict_Type, &x.accs, &x.piece, &x.base, &occs,
                          &PyTuple_Type, &fanged, &dstarts, &ostarts, &ioc, &refs, &PyTuple_Type, &consts))
        return NULL;
    if (PyUnicode_READY(x.piece) < 0) return NULL; /* a legacy string: its characters made readable */
    if (!PyArg_ParseTuple(consts, "O!O!OOO!OO:group consts", &PyFrozenSet_Type, &x.c.hashes, &PyFrozenSet_Type,
                          &x.c.net_types, &x.c.ipv4, &x.c.filename, &PyDict_Type, &x.c.role_sets, &x.c.hash_kind,
                          &x.c.version_context))
        return NULL;
    if (PyTuple_GET_SIZE(fanged) != 5) {
        PyErr_SetString(PyExc_TypeError, "group: fanged is (new_starts, new_ends, old_starts, old_ends, loose)");
        return NULL;
    }
    Py_ssize_t nl = 0;
    if (to_arr(PyTuple_GET_ITEM(fanged, 0), &x.fns, -1) < 0 || to_arr(PyTuple_GET_ITEM(fanged, 1), &x.fne, -1) < 0 ||
        to_arr(PyTuple_GET_ITEM(fanged, 2), &x.fos, -1) < 0 || to_arr(PyTuple_GET_ITEM(fanged, 3), &x.foe, -1) < 0 ||
        to_flags(PyTuple_GET_ITEM(fanged, 4), &x.floose, &nl) < 0 || to_arr(dstarts, &x.dst, -1) < 0 ||
        to_arr(ostarts, &x.ost, -1) < 0 || to_arr(ioc, &x.ioc_lo, 0) < 0 || to_arr(ioc, &x.ioc_hi, 1) < 0 ||
        to_arr(refs, &x.ref_lo, 0) < 0 || to_arr(refs, &x.ref_hi, 1) < 0)
        goto fail;
    x.nf = x.fns.n;
    if (x.fne.n != x.nf || x.fos.n != x.nf || x.foe.n != x.nf || nl != x.nf || x.ost.n < x.dst.n) {
        PyErr_SetString(PyExc_ValueError, "group: the maps' sequences differ in length");
        goto fail;
    }
    x.whole = x.dst.n == 1 && x.dst.v[0] == 0 && x.ost.v[0] == 0;
    PyObject *fast = PySequence_Fast(occs, "group: occurrences must be a sequence");
    if (fast == NULL) goto fail;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(fast); k++) {
        if (one(&x, PySequence_Fast_GET_ITEM(fast, k)) < 0) {
            Py_DECREF(fast);
            goto fail;
        }
    }
    Py_DECREF(fast);
    ctx_free(&x);
    Py_RETURN_NONE;
fail:
    ctx_free(&x);
    return NULL;
}

/* c2_keys(text, lo, hi, keys): one of ``keys`` (lower-case ASCII) occurs in text[lo:hi].lower()
 * (twin: context._c2_keys_py). Only two code points lower to ASCII: U+212A to "k" and U+0130 to
 * "i" + U+0307; every other one to non-ASCII, which no key holds, so it is written as a 0 byte. */
static PyObject *c2_keys(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *text, *keys;
    Py_ssize_t lo, hi;
    if (!PyArg_ParseTuple(args, "UnnO!:c2_keys", &text, &lo, &hi, &PyTuple_Type, &keys)) return NULL;
    if (PyUnicode_READY(text) < 0) return NULL;
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    if (lo < 0) lo = lo + len < 0 ? 0 : lo + len; /* slice bounds, as text[lo:hi] reads them */
    if (hi < 0) hi = hi + len < 0 ? 0 : hi + len;
    if (hi > len) hi = len;
    if (hi < lo) hi = lo; /* an empty window: only an empty key occurs in it, as in the twin */
    if (hi - lo > PY_SSIZE_T_MAX / 2 - 1) return PyErr_NoMemory();
    char *buf = PyMem_Malloc((size_t)(2 * (hi - lo) + 1));
    if (buf == NULL) return PyErr_NoMemory();
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t m = 0;
    for (Py_ssize_t i = lo; i < hi; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 128) {
            buf[m++] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
            if (c == 0) buf[m - 1] = 1; /* a NUL is no key character either; keep the buffer a C string */
        } else if (c == 0x212A) {
            buf[m++] = 'k';
        } else if (c == 0x130) {
            buf[m++] = 'i';
            buf[m++] = 1;
        } else {
            buf[m++] = 1;
        }
    }
    buf[m] = '\0';
    int found = 0;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(keys) && !found; k++) {
        const char *key = PyUnicode_Check(PyTuple_GET_ITEM(keys, k)) ? PyUnicode_AsUTF8(PyTuple_GET_ITEM(keys, k)) : NULL;
        if (key == NULL) {
            PyMem_Free(buf);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "c2_keys: keys are str");
            return NULL;
        }
        for (const char *q = key; *q; q++) {
            if ((unsigned char)*q >= 128 || (*q >= 'A' && *q <= 'Z')) {
                PyMem_Free(buf);
                PyErr_SetString(PyExc_ValueError, "c2_keys: keys are lower-case ASCII");
                return NULL;
            }
        }
        found = *key == '\0' || strstr(buf, key) != NULL;
    }
    PyMem_Free(buf);
    return PyBool_FromLong(found);
}

/* packed_find(blob, which, starts, raw): the list byte of ``raw`` in one run of prepared.Packed,
 * else -1 (twin: prepared._find_py). ``blob`` holds the run's sorted keys of len(raw) bytes,
 * ``which`` a byte per key, ``starts`` 65,537 little-endian uint32 offsets: where each value of
 * a key's first two bytes starts. Any buffer (bytes, a read-only mmap); every read is checked. */
static PyObject *packed_find(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer blob, which, starts, raw;
    if (!PyArg_ParseTuple(args, "y*y*y*y*:packed_find", &blob, &which, &starts, &raw)) return NULL;
    PyObject *result = NULL;
    const unsigned char *b = blob.buf, *wh = which.buf, *st = starts.buf, *r = raw.buf;
    Py_ssize_t w = raw.len;
    if (w < 2) {
        PyErr_SetString(PyExc_IndexError, "packed_find: a key has two bytes or more");
        goto done;
    }
    Py_ssize_t at = (Py_ssize_t)(r[0] << 8 | r[1]) * 4;
    if (at + 8 > starts.len) {
        PyErr_SetString(PyExc_ValueError, "packed_find: the bucket table is too short");
        goto done;
    }
    Py_ssize_t lo = (Py_ssize_t)((uint32_t)st[at] | (uint32_t)st[at + 1] << 8 | (uint32_t)st[at + 2] << 16 |
                                 (uint32_t)st[at + 3] << 24);
    Py_ssize_t hi = (Py_ssize_t)((uint32_t)st[at + 4] | (uint32_t)st[at + 5] << 8 | (uint32_t)st[at + 6] << 16 |
                                 (uint32_t)st[at + 7] << 24);
    Py_ssize_t nkeys = blob.len / w;
    if (lo > hi || hi > nkeys || which.len < nkeys) { /* no table _packed builds; never read past one */
        PyErr_SetString(PyExc_ValueError, "packed_find: the bucket table does not fit the run");
        goto done;
    }
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (memcmp(b + mid * w, r, (size_t)w) < 0) lo = mid + 1;
        else hi = mid;
    }
    long found = -1;
    if (lo < nkeys && memcmp(b + lo * w, r, (size_t)w) == 0) found = wh[lo];
    result = PyLong_FromLong(found);
done:
    PyBuffer_Release(&blob);
    PyBuffer_Release(&which);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&raw);
    return result;
}

/* json_line(doc_id, found, types, fids): cli.extract_run._json_line_py's line, written in one
 * buffer (the twin: an f-string and four json string encodings per row, 8,000 instructions a
 * row). ``found``: rows (kind, value, raw, start, end, defanged, fidelity, reason); ``types`` and
 * ``fids``: kind -> '{"type": "..."' and fidelity -> ', "fidelity": "..."'. Strings are escaped
 * as json.encoder.encode_basestring does (", \, \b \f \n \r \t, other controls as \u00xx); the
 * ints as repr writes them (an int subclass through repr itself). Two passes: the length and the
 * widest character first (each input string is canonical, so its kind bounds it), then the copy. */
typedef struct {
    PyObject *type_s, *fid_s, *start_s, *end_s; /* new references (start_s/end_s: NULL for a plain int) */
    PyObject *value, *raw, *reason;             /* borrowed from the row */
    long long start, end;
    int defanged;
    char plain[3]; /* value, raw, reason need no escape */
} JRow;

/* How many characters escaping adds to a str: one for " \ \b \f \n \r \t, five for another control. */
#define JSON_EXTRA(T)                                                                              \
    do {                                                                                           \
        const T *p = (const T *)data;                                                              \
        for (Py_ssize_t i = 0; i < n; i++) {                                                       \
            Py_UCS4 c = p[i];                                                                      \
            if (c < 0x20) extra += (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') ? 1 : 5; \
            else if (c == '"' || c == '\\') extra += 1;                                            \
        }                                                                                          \
    } while (0)

/* Eight one-byte characters at a time: none below 0x20, none '"' or '\\' (the usual value). */
static int plain8(const unsigned char *p) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return !(((x - ones * 0x20) & ~x & highs) | ((q - ones) & ~q & highs) | ((b - ones) & ~b & highs));
}

static Py_ssize_t json_extra(PyObject *s) {
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), extra = 0;
    switch (PyUnicode_KIND(s)) {
    case PyUnicode_1BYTE_KIND: {
        Py_ssize_t i = 0;
        while (i + 8 <= n && plain8((const unsigned char *)data + i)) i += 8;
        data = (const unsigned char *)data + i;
        n -= i;
        JSON_EXTRA(Py_UCS1);
        break;
    }
    case PyUnicode_2BYTE_KIND: JSON_EXTRA(Py_UCS2); break;
    default: JSON_EXTRA(Py_UCS4); break;
    }
    return extra;
}

typedef struct {
    int kind;
    void *data;
    Py_ssize_t at;
} Out;

static void put_ascii_n(Out *o, const char *s, size_t n) {
    if (o->kind == PyUnicode_1BYTE_KIND) {
        memcpy((char *)o->data + o->at, s, n);
        o->at += (Py_ssize_t)n;
        return;
    }
    for (size_t i = 0; i < n; i++) PyUnicode_WRITE(o->kind, o->data, o->at++, (Py_UCS4)(unsigned char)s[i]);
}

static void put_ascii(Out *o, const char *s) { put_ascii_n(o, s, strlen(s)); }

/* A long long in decimal, as repr writes an int (snprintf cost 740 instructions a number). */
static int fmt_ll(char *buf, long long v) {
    char tmp[24];
    int n = 0, len = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) buf[len++] = '-';
    while (n) buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

static void put_str(Out *o, PyObject *s) { /* verbatim */
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (kind == o->kind) {
        memcpy((char *)o->data + o->at * kind, data, (size_t)(n * kind));
        o->at += n;
        return;
    }
    for (Py_ssize_t i = 0; i < n; i++) PyUnicode_WRITE(o->kind, o->data, o->at++, PyUnicode_READ(kind, data, i));
}

/* A str as a JSON string; ``plain``: it needs no escape (json_extra said 0), so it is copied. */
static void put_json(Out *o, PyObject *s, int plain) {
    static const char hex[] = "0123456789abcdef";
    if (plain) {
        PyUnicode_WRITE(o->kind, o->data, o->at++, '"');
        put_str(o, s);
        PyUnicode_WRITE(o->kind, o->data, o->at++, '"');
        return;
    }
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    PyUnicode_WRITE(o->kind, o->data, o->at++, '"');
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
        }
        if (esc != NULL) {
            put_ascii(o, esc);
        } else if (c < 0x20) {
            char u[7] = {'\\', 'u', '0', '0', hex[(c >> 4) & 0xf], hex[c & 0xf], 0};
            put_ascii(o, u);
        } else {
            PyUnicode_WRITE(o->kind, o->data, o->at++, c);
        }
    }
    PyUnicode_WRITE(o->kind, o->data, o->at++, '"');
}

static Py_UCS4 widest(Py_UCS4 m, PyObject *s) {
    Py_UCS4 w = PyUnicode_MAX_CHAR_VALUE(s);
    return w > m ? w : m;
}

/* An int's repr: digits for a plain int that fits, else repr() itself (a new str in *s). */
static int int_repr(PyObject *v, long long *num, PyObject **s) {
    *s = NULL;
    if (PyLong_CheckExact(v)) {
        int overflow = 0;
        *num = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (*num == -1 && PyErr_Occurred()) return -1;
        if (!overflow) return 0;
    }
    *s = PyObject_Repr(v);
    return *s == NULL ? -1 : 0;
}

#define J_VALUE ", \"value\": "
#define J_RAW ", \"raw\": "
#define J_START ", \"start\": "
#define J_END ", \"end\": "
#define J_DEF ", \"defanged\": "
#define J_REASON ", \"reason\": "
#define J_HEAD "{\"id\": "
#define J_LIST ", \"indicators\": ["
#define J_SEP ", "
#define J_TAIL "]}"
#define PUT_LIT(o, lit) put_ascii_n((o), (lit), sizeof(lit) - 1)

static PyObject *lookup_str(PyObject *map, PyObject *key) { /* a new reference, or NULL with an error */
    PyObject *v = PyObject_GetItem(map, key);
    if (v != NULL && !PyUnicode_Check(v)) {
        Py_DECREF(v);
        PyErr_SetString(PyExc_TypeError, "json_line: the type and fidelity prefixes are str");
        return NULL;
    }
    if (v != NULL && PyUnicode_READY(v) < 0) {
        Py_DECREF(v);
        return NULL;
    }
    return v;
}

static int need_str(PyObject *s) {
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "json_line: expected str, not %.80s", Py_TYPE(s)->tp_name);
        return -1;
    }
    return PyUnicode_READY(s);
}

static PyObject *json_line(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *doc_id, *found_in, *types, *fids;
    if (!PyArg_ParseTuple(args, "UOOO:json_line", &doc_id, &found_in, &types, &fids)) return NULL;
    if (PyUnicode_READY(doc_id) < 0) return NULL;
    PyObject *found = PySequence_Tuple(found_in); /* a snapshot: no code run below can change it */
    if (found == NULL) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(found), done = 0;
    JRow *rows = PyMem_Calloc((size_t)(n > 0 ? n : 1), sizeof(JRow));
    PyObject *result = NULL;
    if (rows == NULL) {
        PyErr_NoMemory();
        goto out;
    }
    Py_ssize_t id_extra = json_extra(doc_id);
    Py_ssize_t len = PyUnicode_GET_LENGTH(doc_id) + 2 + id_extra + (Py_ssize_t)(strlen(J_HEAD) + strlen(J_LIST) + strlen(J_TAIL));
    Py_UCS4 maxc = widest(127, doc_id);
    for (; done < n; done++) {
        PyObject *row = PyTuple_GET_ITEM(found, done);
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != 8) {
            PyErr_SetString(PyExc_ValueError, "json_line: a row is a tuple of 8");
            goto out;
        }
        JRow *r = &rows[done];
        r->value = PyTuple_GET_ITEM(row, 1);
        r->raw = PyTuple_GET_ITEM(row, 2);
        r->reason = PyTuple_GET_ITEM(row, 7);
        if (need_str(r->value) < 0 || need_str(r->raw) < 0 || need_str(r->reason) < 0) goto out;
        if ((r->type_s = lookup_str(types, PyTuple_GET_ITEM(row, 0))) == NULL) goto out;
        if ((r->fid_s = lookup_str(fids, PyTuple_GET_ITEM(row, 6))) == NULL) goto out;
        if (int_repr(PyTuple_GET_ITEM(row, 3), &r->start, &r->start_s) < 0) goto out;
        if (int_repr(PyTuple_GET_ITEM(row, 4), &r->end, &r->end_s) < 0) goto out;
        if (r->start_s != NULL && (need_str(r->start_s) < 0)) goto out;
        if (r->end_s != NULL && (need_str(r->end_s) < 0)) goto out;
        int t = PyObject_IsTrue(PyTuple_GET_ITEM(row, 5));
        if (t < 0) goto out;
        r->defanged = t;
        char num[32];
        Py_ssize_t xv = json_extra(r->value), xr = json_extra(r->raw), xs = json_extra(r->reason);
        r->plain[0] = xv == 0, r->plain[1] = xr == 0, r->plain[2] = xs == 0;
        Py_ssize_t item = PyUnicode_GET_LENGTH(r->type_s) + PyUnicode_GET_LENGTH(r->fid_s) +
                          PyUnicode_GET_LENGTH(r->value) + PyUnicode_GET_LENGTH(r->raw) +
                          PyUnicode_GET_LENGTH(r->reason) + 6 + xv + xr + xs +
                          (Py_ssize_t)(strlen(J_VALUE) + strlen(J_RAW) + strlen(J_START) + strlen(J_END) +
                                       strlen(J_DEF) + strlen(J_REASON) + 1 + (t ? 4 : 5));
        item += r->start_s ? PyUnicode_GET_LENGTH(r->start_s) : fmt_ll(num, r->start);
        item += r->end_s ? PyUnicode_GET_LENGTH(r->end_s) : fmt_ll(num, r->end);
        if (len > PY_SSIZE_T_MAX / 2 - item) {
            PyErr_NoMemory();
            goto out;
        }
        len += item + (done ? 2 : 0);
        maxc = widest(maxc, r->type_s);
        maxc = widest(maxc, r->fid_s);
        maxc = widest(maxc, r->value);
        maxc = widest(maxc, r->raw);
        maxc = widest(maxc, r->reason);
        if (r->start_s) maxc = widest(maxc, r->start_s);
        if (r->end_s) maxc = widest(maxc, r->end_s);
    }
    result = PyUnicode_New(len, maxc);
    if (result == NULL) goto out;
    Out o = {PyUnicode_KIND(result), PyUnicode_DATA(result), 0};
    PUT_LIT(&o, J_HEAD);
    put_json(&o, doc_id, id_extra == 0);
    PUT_LIT(&o, J_LIST);
    for (Py_ssize_t k = 0; k < n; k++) {
        JRow *r = &rows[k];
        char num[32];
        if (k) PUT_LIT(&o, J_SEP);
        put_str(&o, r->type_s);
        PUT_LIT(&o, J_VALUE);
        put_json(&o, r->value, r->plain[0]);
        PUT_LIT(&o, J_RAW);
        put_json(&o, r->raw, r->plain[1]);
        PUT_LIT(&o, J_START);
        if (r->start_s) put_str(&o, r->start_s);
        else {
            put_ascii_n(&o, num, (size_t)fmt_ll(num, r->start));
        }
        PUT_LIT(&o, J_END);
        if (r->end_s) put_str(&o, r->end_s);
        else {
            put_ascii_n(&o, num, (size_t)fmt_ll(num, r->end));
        }
        PUT_LIT(&o, J_DEF);
        if (r->defanged) PUT_LIT(&o, "true");
        else PUT_LIT(&o, "false");
        put_str(&o, r->fid_s);
        PUT_LIT(&o, J_REASON);
        put_json(&o, r->reason, r->plain[2]);
        PUT_LIT(&o, "}");
    }
    PUT_LIT(&o, J_TAIL);
    if (o.at != len) { /* the two passes disagree: never expected, never a write past the end */
        Py_CLEAR(result);
        PyErr_SetString(PyExc_SystemError, "json_line: length mismatch");
    }
out:
    if (rows != NULL) {
        for (Py_ssize_t k = 0; k <= done && k < n; k++) {
            Py_XDECREF(rows[k].type_s);
            Py_XDECREF(rows[k].fid_s);
            Py_XDECREF(rows[k].start_s);
            Py_XDECREF(rows[k].end_s);
        }
        PyMem_Free(rows);
    }
    Py_DECREF(found);
    return result;
}

/* The bisection of packed_find over a run, every read checked; -1 when absent, -2 (with an
 * error set) when the tables do not fit. */
static long run_find(const Py_buffer *blob, const Py_buffer *which, const Py_buffer *starts, const unsigned char *r,
                     Py_ssize_t w) {
    const unsigned char *b = blob->buf, *wh = which->buf, *st = starts->buf;
    Py_ssize_t at = (Py_ssize_t)(r[0] << 8 | r[1]) * 4;
    if (at + 8 > starts->len) {
        PyErr_SetString(PyExc_ValueError, "the bucket table is too short");
        return -2;
    }
    Py_ssize_t lo = (Py_ssize_t)((uint32_t)st[at] | (uint32_t)st[at + 1] << 8 | (uint32_t)st[at + 2] << 16 |
                                 (uint32_t)st[at + 3] << 24);
    Py_ssize_t hi = (Py_ssize_t)((uint32_t)st[at + 4] | (uint32_t)st[at + 5] << 8 | (uint32_t)st[at + 6] << 16 |
                                 (uint32_t)st[at + 7] << 24);
    Py_ssize_t nkeys = blob->len / w;
    if (lo > hi || hi > nkeys || which->len < nkeys) {
        PyErr_SetString(PyExc_ValueError, "the bucket table does not fit the run");
        return -2;
    }
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (memcmp(b + mid * w, r, (size_t)w) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < nkeys && memcmp(b + lo * w, r, (size_t)w) == 0 ? (long)wh[lo] : -1;
}

/* names[k] as a new reference (a str), or NULL with an error. */
static PyObject *name_at(PyObject *names, long k) {
    if (k < 0 || k >= PyTuple_GET_SIZE(names)) {
        PyErr_SetString(PyExc_ValueError, "a list byte past the names");
        return NULL;
    }
    PyObject *name = PyTuple_GET_ITEM(names, k);
    Py_INCREF(name);
    return name;
}

static int hex_val(Py_UCS4 c) { return c >= '0' && c <= '9' ? (int)(c - '0') : c >= 'a' && c <= 'f' ? (int)(c - 'a' + 10) : -1; }

/* hex_list(blob, which, starts, names, key): the list of a lower-case hex key of len(key) / 2
 * bytes in that run (names[list byte]), '' when absent, None when ``key`` is no such key (odd,
 * shorter than 4, or a character outside 0-9a-f): prepared.Packed.get_hex's path in one call
 * (twin: prepared._hex_list_py). */
static PyObject *hex_list(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer blob, which, starts;
    PyObject *names, *key, *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*O!U:hex_list", &blob, &which, &starts, &PyTuple_Type, &names, &key)) return NULL;
    if (PyUnicode_READY(key) < 0) goto done;
    Py_ssize_t n = PyUnicode_GET_LENGTH(key);
    int kind = PyUnicode_KIND(key);
    const void *data = PyUnicode_DATA(key);
    unsigned char small[128], *raw = small;
    if (n < 4 || n & 1) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    if (n / 2 > (Py_ssize_t)sizeof small && (raw = PyMem_Malloc((size_t)(n / 2))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i += 2) {
        int hi = hex_val(PyUnicode_READ(kind, data, i)), lo = hex_val(PyUnicode_READ(kind, data, i + 1));
        if (hi < 0 || lo < 0) {
            result = Py_None;
            Py_INCREF(result);
            goto done;
        }
        raw[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    long k = run_find(&blob, &which, &starts, raw, n / 2);
    if (k == -1) result = PyUnicode_FromStringAndSize("", 0);
    else if (k >= 0) result = name_at(names, k);
done:
    if (raw != small) PyMem_Free(raw);
    PyBuffer_Release(&blob);
    PyBuffer_Release(&which);
    PyBuffer_Release(&starts);
    return result;
}

/* A dotted quad written as str(ipaddress.ip_address(...)) writes it (octets 0-255, no leading
 * zero, ASCII digits): its value, else -1 (prepared._IPV4_KEY's test). */
static long long canonical_ipv4(PyObject *s) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), i = 0;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    long long num = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || PyUnicode_READ(kind, data, i) != '.') return -1;
            i++;
        }
        Py_ssize_t start = i;
        int v = 0;
        while (i < n && i - start < 4) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c < '0' || c > '9') break;
            v = v * 10 + (int)(c - '0');
            i++;
        }
        Py_ssize_t len = i - start;
        if (len == 0 || len > 3 || v > 255 || (len > 1 && PyUnicode_READ(kind, data, start) == '0')) return -1;
        num = num << 8 | v;
    }
    return i == n ? num : -1;
}

/* ipv4_list(blob, which, starts, names, ranges, ip): the list of a canonical IPv4 address: its
 * exact entry (names[list byte]), else the first (first, last, name) of ``ranges`` holding it,
 * else ''; None when ``ip`` is not a canonical dotted quad (warninglists.ip_list's IPv4 path in
 * one call; twin: prepared._ipv4_list_py). */
static PyObject *ipv4_list(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer blob, which, starts;
    PyObject *names, *ranges, *ip, *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*O!O!U:ipv4_list", &blob, &which, &starts, &PyTuple_Type, &names, &PyTuple_Type,
                          &ranges, &ip))
        return NULL;
    if (PyUnicode_READY(ip) < 0) goto done;
    long long num = canonical_ipv4(ip);
    if (num < 0) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    unsigned char raw[4] = {(unsigned char)(num >> 24), (unsigned char)(num >> 16), (unsigned char)(num >> 8),
                            (unsigned char)num};
    long k = run_find(&blob, &which, &starts, raw, 4);
    if (k >= 0) {
        result = name_at(names, k);
        goto done;
    }
    if (k == -2) goto done;
    for (Py_ssize_t r = 0; r < PyTuple_GET_SIZE(ranges); r++) {
        PyObject *item = PyTuple_GET_ITEM(ranges, r);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 3) {
            PyErr_SetString(PyExc_TypeError, "ipv4_list: ranges are (first, last, name) tuples");
            goto done;
        }
        long long first = PyLong_AsLongLong(PyTuple_GET_ITEM(item, 0)), last = PyLong_AsLongLong(PyTuple_GET_ITEM(item, 1));
        if ((first == -1 || last == -1) && PyErr_Occurred()) goto done;
        if (first <= num && num <= last) {
            result = PyTuple_GET_ITEM(item, 2);
            Py_INCREF(result);
            goto done;
        }
    }
    result = PyUnicode_FromStringAndSize("", 0);
done:
    PyBuffer_Release(&blob);
    PyBuffer_Release(&which);
    PyBuffer_Release(&starts);
    return result;
}

/* parents_hit(domain, sites, index): fidelity._domain_verdict's walk up ``domain`` and its
 * parents (never the bare TLD): True as soon as one is in ``sites``, else the first one in
 * ``index`` (''). Any containers ``in`` works on (twin: fidelity._parents_hit_py). */
static PyObject *parents_hit(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *domain, *sites, *index, *hit = NULL;
    if (!PyArg_ParseTuple(args, "UOO:parents_hit", &domain, &sites, &index) || PyUnicode_READY(domain) < 0) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(domain);
    int kind = PyUnicode_KIND(domain);
    const void *data = PyUnicode_DATA(domain);
    Py_ssize_t at = 0;
    for (;;) {
        Py_ssize_t dot = -1;
        for (Py_ssize_t i = at; i < n; i++)
            if (PyUnicode_READ(kind, data, i) == '.') {
                dot = i;
                break;
            }
        if (dot < 0) break;
        PyObject *d = at ? PyUnicode_Substring(domain, at, n) : (Py_INCREF(domain), domain);
        if (d == NULL) goto fail;
        int in_sites = PySequence_Contains(sites, d);
        if (in_sites != 0) {
            Py_DECREF(d);
            if (in_sites < 0) goto fail;
            Py_XDECREF(hit);
            Py_RETURN_TRUE;
        }
        if (hit == NULL) {
            int in_index = PySequence_Contains(index, d);
            if (in_index < 0) {
                Py_DECREF(d);
                goto fail;
            }
            if (in_index) {
                hit = d;
                d = NULL;
            }
        }
        Py_XDECREF(d);
        at = dot + 1;
    }
    return hit ? hit : PyUnicode_FromStringAndSize("", 0);
fail:
    Py_XDECREF(hit);
    return NULL;
}

static PyMethodDef METHODS[] = {
    {"group", group, METH_VARARGS,
     "group(accs, piece, base, occs, fanged, dstarts, ostarts, ioc, refs, consts): fold one piece's occurrences."},
    {"c2_keys", c2_keys, METH_VARARGS, "c2_keys(text, lo, hi, keys) -> a key occurs in text[lo:hi].lower()."},
    {"packed_find", packed_find, METH_VARARGS, "packed_find(blob, which, starts, raw) -> the list byte of raw, else -1."},
    {"hex_list", hex_list, METH_VARARGS, "hex_list(blob, which, starts, names, key) -> the list of a hex key, '', or None."},
    {"ipv4_list", ipv4_list, METH_VARARGS,
     "ipv4_list(blob, which, starts, names, ranges, ip) -> the list of a canonical IPv4 address, '', or None."},
    {"parents_hit", parents_hit, METH_VARARGS, "parents_hit(domain, sites, index) -> True, the first parent in index, or ''."},
    {"json_line", json_line, METH_VARARGS, "json_line(doc_id, rows, types, fids) -> the JSON line of one document's rows."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "extract_group",
                                    "C twins of engine._group_py, context._c2_keys_py, prepared._find_py and extract_run._json_line_py.", -1, METHODS, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_extract_group(void) { return PyModule_Create(&MODULE); }
