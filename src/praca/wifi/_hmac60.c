/* The Wi-Fi pseudonym, natively: HMAC-SHA-256 of a normalised MAC, its first 60 bits.
 *
 * Why C: the pseudonym is computed for every session row at ingest, tens of millions a day, and SQL's
 * sha256 runs each HMAC as four SHA-256 compressions through a generic code path. A MAC normalises to
 * 12 bytes, so HMAC(key, mac) is exactly two compressions from the key's precomputed inner and outer
 * states (RFC 2104 section 4's "precomputed intermediate results"). The compression is OpenSSL's
 * SHA256_Transform, which runs on the CPU's SHA extensions where it has them.
 *
 * `praca.wifi.pseudonym` is the only caller; it passes Arrow buffers and owns every check of their
 * sizes that Python can make. A device is a MAC exactly when `steps.MAC_PATTERN` matches it, and it
 * normalises as `steps.normalised_device` does: spaces trimmed at both ends, ':', '-' and '.' dropped
 * anywhere, hex digits lower-cased, 12 of them and nothing else left.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Transform: the one OpenSSL call that takes a midstate */
#include <Python.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint32_t inner[8];
    uint32_t outer[8];
} states_t;

static void compress(uint32_t state[8], const unsigned char block[64]) {
    SHA256_CTX ctx;
    memcpy(ctx.h, state, sizeof ctx.h);
    SHA256_Transform(&ctx, block);
    memcpy(state, ctx.h, sizeof ctx.h);
}

static void pad_state(const unsigned char *key, Py_ssize_t len, unsigned char pad, uint32_t out[8]) {
    SHA256_CTX ctx;
    unsigned char block[64];
    memset(block, 0, sizeof block);
    memcpy(block, key, (size_t)len);
    for (int i = 0; i < 64; i++) block[i] ^= pad;
    SHA256_Init(&ctx);
    SHA256_Transform(&ctx, block);
    memcpy(out, ctx.h, sizeof ctx.h);
}

/* What each byte is to a MAC: its lower-case hex digit, SEPARATOR, or 0 (no part of a MAC); a table,
 * because the branches of the comparisons cost a third of the pseudonym. Filled by the module's init. */
#define SEPARATOR 1
static unsigned char byte_kind[256];

static void fill_byte_kind(void) {
    for (int c = '0'; c <= '9'; c++) byte_kind[c] = (unsigned char)c;
    for (int c = 'a'; c <= 'f'; c++) byte_kind[c] = byte_kind[c - 32] = (unsigned char)c;
    byte_kind[':'] = byte_kind['-'] = byte_kind['.'] = SEPARATOR;
}

/* The 12 lower-case hex digits a device normalises to; 0 when it is no MAC. */
static int normalise(const unsigned char *s, int64_t n, unsigned char mac[12]) {
    int64_t a = 0, b = n;
    int k = 0;
    while (a < b && s[a] == ' ') a++;
    while (b > a && s[b - 1] == ' ') b--;
    for (int64_t i = a; i < b; i++) {
        unsigned char c = byte_kind[s[i]];
        if (c == SEPARATOR) continue;
        if (c == 0 || k == 12) return 0;
        mac[k++] = c;
    }
    return k == 12;
}

static void put_be64(unsigned char *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v;
}

/* HMAC(key, mac) from the key's states: the first 60 bits of the outer digest, as a non-negative int64. */
static int64_t hmac60(const states_t *st, const unsigned char mac[12]) {
    unsigned char block[64];
    uint32_t h[8];
    memset(block, 0, sizeof block);
    memcpy(block, mac, 12);
    block[12] = 0x80;
    put_be64(block + 56, (64 + 12) * 8);
    memcpy(h, st->inner, sizeof h);
    compress(h, block);
    memset(block, 0, sizeof block);
    for (int i = 0; i < 8; i++) {
        block[4 * i] = (unsigned char)(h[i] >> 24);
        block[4 * i + 1] = (unsigned char)(h[i] >> 16);
        block[4 * i + 2] = (unsigned char)(h[i] >> 8);
        block[4 * i + 3] = (unsigned char)h[i];
    }
    block[32] = 0x80;
    put_be64(block + 56, (64 + 32) * 8);
    memcpy(h, st->outer, sizeof h);
    compress(h, block);
    return (int64_t)((((uint64_t)h[0] << 32) | h[1]) >> 4);
}

static int bit(const unsigned char *bitmap, int64_t i) {
    return bitmap == NULL || (bitmap[i >> 3] >> (i & 7)) & 1;
}

/* pad_states(key) -> bytes: the key's inner and outer SHA-256 states, 64 bytes. */
static PyObject *py_pad_states(PyObject *self, PyObject *args) {
    Py_buffer key;
    states_t st;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*", &key)) return NULL;
    if (key.len > 64) {
        PyBuffer_Release(&key);
        PyErr_SetString(PyExc_ValueError, "a key longer than SHA-256's block is hashed first; use 64 bytes or fewer");
        return NULL;
    }
    pad_state(key.buf, key.len, 0x36, st.inner);
    pad_state(key.buf, key.len, 0x5c, st.outer);
    PyBuffer_Release(&key);
    return PyBytes_FromStringAndSize((const char *)&st, sizeof st);
}

/* hash(states, slots, validity, offsets, data, offset, length, out, out_validity) -> nulls
 *
 * Row i (of `length`, from `offset` in the Arrow string array given by its validity bitmap or None,
 * int32 offsets and data) is hashed under states[slots[i]] into out[i] (int64) and marked valid in
 * out_validity; a NULL device, one that is no MAC, or a slot out of range gives NULL. */
static PyObject *py_hash(PyObject *self, PyObject *args) {
    Py_buffer states, slots, validity = {0}, offsets, data, out, out_validity;
    PyObject *validity_obj;
    Py_ssize_t offset, length, nulls = 0;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*Oy*y*nnw*w*", &states, &slots, &validity_obj, &offsets, &data, &offset,
                          &length, &out, &out_validity))
        return NULL;
    int has_validity = validity_obj != Py_None;
    if (has_validity && PyObject_GetBuffer(validity_obj, &validity, PyBUF_SIMPLE) < 0) goto fail;
    Py_ssize_t n_states = states.len / (Py_ssize_t)sizeof(states_t);
    if (offset < 0 || length < 0 || offsets.len < (offset + length + 1) * 4 ||
        (has_validity && validity.len * 8 < offset + length) || out_validity.len * 8 < length ||
        slots.len < length * 4 || out.len < length * 8) {
        PyErr_SetString(PyExc_ValueError, "buffers shorter than the rows they are said to hold");
        goto fail;
    }
    const states_t *st = states.buf;
    const int32_t *slot = slots.buf, *off = (const int32_t *)offsets.buf + offset;
    const unsigned char *bytes = data.buf, *valid = has_validity ? validity.buf : NULL;
    int64_t *result = out.buf;
    unsigned char *result_valid = out_validity.buf;
    if (off[length] > data.len || off[0] < 0) {
        PyErr_SetString(PyExc_ValueError, "offsets past the end of the data");
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    memset(result_valid, 0, (size_t)((length + 7) / 8));
    unsigned char mac[12];
    for (Py_ssize_t i = 0; i < length; i++) {
        int32_t a = off[i], b = off[i + 1];
        int ok = bit(valid, offset + i) && a >= 0 && b >= a && b <= off[length] && normalise(bytes + a, b - a, mac);
        ok = ok && slot[i] >= 0 && slot[i] < n_states;
        result[i] = ok ? hmac60(st + slot[i], mac) : 0;
        if (ok) result_valid[i >> 3] |= (unsigned char)(1u << (i & 7));
        else nulls++;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&states); PyBuffer_Release(&slots); PyBuffer_Release(&offsets); PyBuffer_Release(&data);
    PyBuffer_Release(&out); PyBuffer_Release(&out_validity);
    if (has_validity) PyBuffer_Release(&validity);
    return PyLong_FromSsize_t(nulls);
fail:
    PyBuffer_Release(&states); PyBuffer_Release(&slots); PyBuffer_Release(&offsets); PyBuffer_Release(&data);
    PyBuffer_Release(&out); PyBuffer_Release(&out_validity);
    if (has_validity && validity.obj != NULL) PyBuffer_Release(&validity);
    return NULL;
}

static PyMethodDef methods[] = {
    {"pad_states", py_pad_states, METH_VARARGS, "The key's inner and outer SHA-256 states (64 bytes)."},
    {"hash", py_hash, METH_VARARGS, "Pseudonymise a slice of an Arrow string array."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT, .m_name = "_hmac60", .m_size = -1, .m_methods = methods,
};

PyMODINIT_FUNC PyInit__hmac60(void) {
    fill_byte_kind();
    return PyModule_Create(&module);
}
