/* The native dispatcher: runs a vCPU's native blocks one after another, looking each
 * next block up in its decode cache's dict itself, until the budget ends, the next
 * block has no native code, a stop address is reached or a block leaves before an
 * instruction (a slow exit). engine/native/__init__.py describes the contract. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "native.h"

#define FN_ENTRIES 256

static PyObject *s_gpr, *s_tlb_load, *s_tlb_store, *s_blocks;
static PyObject *s_attrs[9];
static const char *attr_names[9] = {"cr", "lr", "ctr", "cfar", "so", "ov", "ca", "ov32", "ca32"};
static Py_ssize_t native_index = -1, length_index = -1;

struct fent {
    u64 pc, gen;
    block_fn fn;
    u64 length;
};

/* The state of the call in progress, one per thread: a call runs Python (the vCPU's
 * map_data), during which another thread may make a call of its own. */
static _Thread_local struct st S;
static _Thread_local struct fent fcache[FN_ENTRIES];
static _Thread_local PyObject *cur_tl, *cur_ts, *cur_cache, *cur_map;
static _Thread_local int aborted;  /* the data TLB fill dropped decoded code: leave */
/* Totals since the module was loaded: calls, blocks run, instructions run, slow exits. */
static unsigned long long n_calls, n_blocks, n_insns, n_slow;
static PyObject *s_gen;

static u8 *lookup(PyObject *d, u64 epn) {
    PyObject *key = PyLong_FromUnsignedLongLong(epn);
    u8 *p = NULL;
    if (key != NULL) {
        PyObject *page = PyDict_GetItemWithError(d, key);  /* borrowed */
        Py_DECREF(key);
        if (page != NULL && PyByteArray_Check(page) && PyByteArray_GET_SIZE(page) >= 4096)
            p = (u8 *)PyByteArray_AS_STRING(page);
    }
    PyErr_Clear();
    return p;
}

static long long cache_gen(void) {
    PyObject *g = PyObject_GetAttr(cur_cache, s_gen);
    long long v = g ? PyLong_AsLongLong(g) : -1;
    Py_XDECREF(g);
    PyErr_Clear();
    return v;
}

static unsigned long long n_fills;

static u8 *miss(struct st *s, int kind, u64 epn) {
    PyObject *d = kind ? cur_ts : cur_tl;
    u8 *p = aborted ? NULL : lookup(d, epn);
    if (p == NULL && !aborted && cur_map != Py_None) {
        /* Not mapped: the vCPU maps it as its slow path would (VCPU.map_data), which runs
         * no guest code and changes nothing the guest sees but the MMU's R and C bits,
         * exactly as the access itself would. Should that drop decoded code, native code
         * leaves before this instruction and the Python engine runs it. */
        long long before = cache_gen();
        PyObject *r = PyObject_CallFunction(cur_map, "Ki", (unsigned long long)(epn << 12), kind);
        Py_XDECREF(r);
        PyErr_Clear();
        n_fills++;
        if (cache_gen() != before) {
            aborted = 1;
            return NULL;
        }
        /* Mapping may have taken other pages out of the maps (a table page leaving the
         * store fast path, copy-on-write emptying them): every page and block this call
         * looked up is looked up again. */
        s->gen++;
        p = lookup(d, epn);
    }
    struct tent *e = &s->tlb[kind][epn & (TLB_ENTRIES - 1)];
    e->epn = epn;
    e->gen = s->gen;
    e->p = p;
    return p;
}

static int load_state(PyObject *cpu, PyObject **gpr_out) {
    PyObject *gpr = PyObject_GetAttr(cpu, s_gpr);
    if (gpr == NULL) return -1;
    if (!PyList_CheckExact(gpr) || PyList_GET_SIZE(gpr) != 32) {
        Py_DECREF(gpr);
        PyErr_SetString(PyExc_TypeError, "gpr is not a list of 32");
        return -1;
    }
    for (int i = 0; i < 32; i++) {
        S.g[i] = PyLong_AsUnsignedLongLong(PyList_GET_ITEM(gpr, i));
    }
    u64 *attrs = &S.cr;
    for (int i = 0; i < 9; i++) {
        PyObject *v = PyObject_GetAttr(cpu, s_attrs[i]);
        if (v == NULL) { Py_DECREF(gpr); return -1; }
        attrs[i] = PyLong_AsUnsignedLongLong(v);
        Py_DECREF(v);
    }
    if (PyErr_Occurred()) { Py_DECREF(gpr); return -1; }
    *gpr_out = gpr;
    return 0;
}

static int store_state(PyObject *cpu, PyObject *gpr) {
    for (int i = 0; i < 32; i++) {
        if (S.gdirty >> i & 1) {
            PyObject *v = PyLong_FromUnsignedLongLong(S.g[i]);
            if (v == NULL) return -1;
            PyList_SetItem(gpr, i, v);  /* steals v */
        }
    }
    u64 *attrs = &S.cr;
    for (int i = 0; i < 9; i++) {
        if (S.adirty >> i & 1) {
            PyObject *v = PyLong_FromUnsignedLongLong(attrs[i]);
            if (v == NULL || PyObject_SetAttr(cpu, s_attrs[i], v) < 0) { Py_XDECREF(v); return -1; }
            Py_DECREF(v);
        }
    }
    return 0;
}

/* run(cpu, cache, pc, left, stops, map) -> (next pc, instructions run, left before one)
 * ``cache`` is the vCPU's decode cache (its ``blocks`` dict and ``gen``), ``map`` the
 * function that maps a data page (or None). The first block is run without a stop check
 * (the caller made it). */
static PyObject *run(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    /* run(cpu, blocks, pc, left, stops): a blocks dict alone, no data page maps (tests). */
    if (nargs != 6 && nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "run takes 5 or 6 arguments");
        return NULL;
    }
    PyObject *cpu = args[0], *cache = args[1], *stops = args[4];
    PyObject *blocks = cache, *map = Py_None;
    if (nargs == 6) {
        blocks = PyObject_GetAttr(cache, s_blocks);
        if (blocks == NULL) return NULL;
        Py_DECREF(blocks);  /* the cache holds it for the whole call */
        map = args[5];
    }
    u64 pc = PyLong_AsUnsignedLongLong(args[2]);
    long long left = PyLong_AsLongLong(args[3]);
    if (PyErr_Occurred()) return NULL;
    if (!PyDict_Check(blocks)) { PyErr_SetString(PyExc_TypeError, "blocks is not a dict"); return NULL; }
    int check_stops = stops != Py_None && PySet_GET_SIZE(stops) > 0;
    PyObject *tl = PyObject_GetAttr(cpu, s_tlb_load);
    PyObject *ts = tl ? PyObject_GetAttr(cpu, s_tlb_store) : NULL;
    if (ts == NULL || !PyDict_Check(tl) || !PyDict_Check(ts)) {
        Py_XDECREF(tl); Py_XDECREF(ts);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "data TLB maps are not dicts");
        return NULL;
    }
    PyObject *gpr;
    if (load_state(cpu, &gpr) < 0) { Py_DECREF(tl); Py_DECREF(ts); return NULL; }
    cur_tl = tl; cur_ts = ts; cur_cache = cache; cur_map = map;
    aborted = 0;
    S.gen++;
    S.gdirty = S.adirty = 0;
    S.miss = miss;
    long long n = 0;
    int slow = 0, first = 1;
    while (n < left) {
        if (check_stops && !first) {
            PyObject *key = PyLong_FromUnsignedLongLong(pc);
            int hit = key ? PySet_Contains(stops, key) : -1;
            Py_XDECREF(key);
            if (hit != 0) { PyErr_Clear(); break; }
        }
        first = 0;
        struct fent *f = &fcache[pc & (FN_ENTRIES - 1)];
        if (f->gen != S.gen || f->pc != pc) {
            PyObject *key = PyLong_FromUnsignedLongLong(pc);
            if (key == NULL) { PyErr_Clear(); break; }
            PyObject *b = PyDict_GetItemWithError(blocks, key);
            Py_DECREF(key);
            if (b == NULL || !PyTuple_Check(b) || PyTuple_GET_SIZE(b) <= native_index) {
                PyErr_Clear();
                break;
            }
            PyObject *addr = PyTuple_GET_ITEM(b, native_index);
            void *fn = PyLong_AsVoidPtr(addr);
            if (fn == NULL) { PyErr_Clear(); break; }
            f->pc = pc;
            f->gen = S.gen;
            f->fn = (block_fn)fn;
            f->length = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(b, length_index));
        }
        if ((long long)f->length > left - n) break;  /* the budget ends inside: Python's */
        S.left_at = -1;
        u64 npc = f->fn(&S);
        pc = npc;
        n_blocks++;
        if (S.left_at >= 0) {
            n += S.left_at;
            slow = 1;
            break;
        }
        n += f->length;
        if (aborted) break;
    }
    n_calls++;
    n_insns += n;
    n_slow += slow;
    int err = store_state(cpu, gpr);
    Py_DECREF(gpr);
    Py_DECREF(tl);
    Py_DECREF(ts);
    cur_tl = cur_ts = cur_cache = cur_map = NULL;
    if (err < 0) return NULL;
    return Py_BuildValue("KLi", (unsigned long long)pc, n, slow);
}

/* setup(native field index, length field index) */
static PyObject *setup(PyObject *self, PyObject *args) {
    if (!PyArg_ParseTuple(args, "nn", &native_index, &length_index)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *stats(PyObject *self, PyObject *unused) {
    return Py_BuildValue("{sKsKsKsKsK}", "calls", n_calls, "blocks", n_blocks,
                         "instructions", n_insns, "slow_exits", n_slow, "data_maps", n_fills);
}

static PyMethodDef methods[] = {
    {"stats", stats, METH_NOARGS, "totals: calls, blocks, instructions, slow exits"},
    {"run", (PyCFunction)(void (*)(void))run, METH_FASTCALL, "run native blocks"},
    {"setup", setup, METH_VARARGS, "set the Block field indices"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, MODNAME, NULL, -1, methods};

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
PyMODINIT_FUNC CAT(PyInit_, MODSYM)(void) {
    s_gpr = PyUnicode_InternFromString("gpr");
    s_tlb_load = PyUnicode_InternFromString("tlb_load");
    s_tlb_store = PyUnicode_InternFromString("tlb_store");
    s_blocks = PyUnicode_InternFromString("blocks");
    s_gen = PyUnicode_InternFromString("gen");
    for (int i = 0; i < 9; i++) s_attrs[i] = PyUnicode_InternFromString(attr_names[i]);
    return PyModule_Create(&module);
}
