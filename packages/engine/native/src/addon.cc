// N-API glue for the native kernels. Every entry point takes Float32Array
// views (usually onto the wasm backend's heap, so nothing is copied) and plain
// numbers; shapes are checked on the JS side, bounds here.
#include <node_api.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>
#include "direct.h"
#include "kernels.h"
#include "program.h"

namespace {

struct Args {
  napi_env env;
  napi_value v[16];
  size_t n = 16;
  bool ok = true;
  Args(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(e, info, &n, v, nullptr, nullptr); }
  void fail(const char* msg) {
    if (ok) napi_throw_range_error(env, "E_NATIVE_ARGS", msg);
    ok = false;
  }
  float* f32(size_t i, size_t* len) {
    if (!ok) return nullptr;
    napi_typedarray_type t;
    size_t length;
    void* data;
    if (i >= n || napi_get_typedarray_info(env, v[i], &t, &length, &data, nullptr, nullptr) != napi_ok || t != napi_float32_array) {
      fail("expected a Float32Array");
      return nullptr;
    }
    if (len) *len = length;
    return static_cast<float*>(data);
  }
  float* f32OrNull(size_t i, size_t* len) {
    napi_valuetype t;
    if (i < n && napi_typeof(env, v[i], &t) == napi_ok && (t == napi_null || t == napi_undefined)) return nullptr;
    return f32(i, len);
  }
  int32_t i32(size_t i) {
    int32_t out = 0;
    if (ok && (i >= n || napi_get_value_int32(env, v[i], &out) != napi_ok)) fail("expected an integer");
    return out;
  }
  double f64(size_t i) {
    double out = 0;
    if (ok && (i >= n || napi_get_value_double(env, v[i], &out) != napi_ok)) fail("expected a number");
    return out;
  }
  bool b(size_t i) {
    bool out = false;
    if (ok && (i >= n || napi_get_value_bool(env, v[i], &out) != napi_ok)) fail("expected a boolean");
    return out;
  }
  // [off, off + count) must lie inside a buffer of `len` floats.
  void within(int64_t off, int64_t count, size_t len, const char* what) {
    if (ok && (off < 0 || count < 0 || off + count > (int64_t)len)) fail(what);
  }
};

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// gemm(heap, transA, transB, M, N, K, aOff, lda, bOff, ldb, cOff, ldc, beta)
napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len = 0;
  float* heap = a.f32(0, &len);
  const bool tA = a.b(1), tB = a.b(2);
  const int M = a.i32(3), N = a.i32(4), K = a.i32(5);
  const int aOff = a.i32(6), lda = a.i32(7), bOff = a.i32(8), ldb = a.i32(9), cOff = a.i32(10), ldc = a.i32(11);
  const float beta = (float)a.f64(12);
  if (!a.ok) return nullptr;
  if (M <= 0 || N <= 0 || K <= 0) { a.fail("gemm: empty dimension"); return nullptr; }
  a.within(aOff, (int64_t)(tA ? K : M) * lda, len, "gemm: A out of bounds");
  a.within(bOff, (int64_t)(tB ? N : K) * ldb, len, "gemm: B out of bounds");
  a.within(cOff, (int64_t)M * ldc, len, "gemm: C out of bounds");
  if (!a.ok) return nullptr;
  prunelab::gemm(tA, tB, M, N, K, 1.f, heap + aOff, lda, heap + bOff, ldb, beta, heap + cOff, ldc);
  return undefined(env);
}

bool geom(Args& a, size_t i, prunelab::ConvGeom& g) {
  size_t len = 0;
  napi_typedarray_type t;
  void* data;
  if (napi_get_typedarray_info(a.env, a.v[i], &t, &len, &data, nullptr, nullptr) != napi_ok || t != napi_int32_array || len != 15) {
    a.fail("expected the conv geometry as an Int32Array of 15");
    return false;
  }
  const int32_t* p = static_cast<int32_t*>(data);
  g = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
  return true;
}

enum ConvKind { kForward, kInput, kFilter };

template <ConvKind kind>
napi_value Conv(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len = 0;
  float* heap = a.f32(0, &len);
  prunelab::ConvGeom g;
  if (!a.ok || !geom(a, 1, g)) return nullptr;
  const int64_t o1 = a.i32(2), o2 = a.i32(3), o3 = a.i32(4);
  const int64_t xs = (int64_t)g.batch * g.inH * g.inW * g.inC, ws = (int64_t)g.kH * g.kW * g.inC * g.outC, ys = (int64_t)g.batch * g.outH * g.outW * g.outC;
  if (kind == kForward) { a.within(o1, xs, len, "conv: x"); a.within(o2, ws, len, "conv: w"); a.within(o3, ys, len, "conv: y"); }
  if (kind == kInput) { a.within(o1, ys, len, "conv: dy"); a.within(o2, ws, len, "conv: w"); a.within(o3, xs, len, "conv: dx"); }
  if (kind == kFilter) { a.within(o1, xs, len, "conv: x"); a.within(o2, ys, len, "conv: dy"); a.within(o3, ws, len, "conv: dw"); }
  if (!a.ok) return nullptr;
  if (kind == kForward) prunelab::conv2d(g, heap + o1, heap + o2, heap + o3);
  if (kind == kInput) prunelab::conv2dBackpropInput(g, heap + o1, heap + o2, heap + o3);
  if (kind == kFilter) prunelab::conv2dBackpropFilter(g, heap + o1, heap + o2, heap + o3);
  return undefined(env);
}

// convPath(geometry, kind): "direct" or "gemm", the path conv2d (kind 0), conv2dBackpropInput (1) or
// conv2dBackpropFilter (2) takes for this geometry.
napi_value ConvPath(napi_env env, napi_callback_info info) {
  Args a(env, info);
  prunelab::ConvGeom g;
  if (!geom(a, 0, g)) return nullptr;
  const int kind = a.i32(1);
  if (!a.ok) return nullptr;
  const char* path = prunelab::convUsesDirect(g, kind) ? "direct" : "gemm";
  napi_value out;
  napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &out);
  return out;
}

// directIsa(name?): { active, available }: the instruction set the direct convolution kernels use and
// those this build has, widest first; with a name ("avx512", "avx2" or "off"), chooses it first.
napi_value DirectIsa(napi_env env, napi_callback_info info) {
  Args a(env, info);
  if (a.n >= 1) {
    char name[16] = {0};
    size_t len = 0;
    if (napi_get_value_string_utf8(env, a.v[0], name, sizeof(name), &len) != napi_ok || !prunelab::useDirectIsa(name)) {
      a.fail("directIsa: expected one of the instruction sets of `available`, or \"off\"");
      return nullptr;
    }
  }
  napi_value out, active, available;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, prunelab::directIsa(), NAPI_AUTO_LENGTH, &active);
  const std::vector<const char*> isas = prunelab::directIsas();
  napi_create_array_with_length(env, isas.size(), &available);
  for (size_t i = 0; i < isas.size(); i++) {
    napi_value name;
    napi_create_string_utf8(env, isas[i], NAPI_AUTO_LENGTH, &name);
    napi_set_element(env, available, (uint32_t)i, name);
  }
  napi_set_named_property(env, out, "active", active);
  napi_set_named_property(env, out, "available", available);
  return out;
}

// optimizerStep(kind, w, g, s1, s2, mask, lr, beta1|momentum, beta2, epsilon, oneMinusAccBeta1, oneMinusAccBeta2, weightDecay)
napi_value OptimizerStep(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int kind = a.i32(0);
  size_t nw = 0, ng = 0, n1 = 0, n2 = 0, nm = 0;
  float* w = a.f32(1, &nw);
  float* g = a.f32(2, &ng);
  float* s1 = kind == 0 ? nullptr : a.f32(3, &n1);
  float* s2 = kind == 2 ? a.f32(4, &n2) : nullptr;
  float* mask = a.f32OrNull(5, &nm);
  const float lr = (float)a.f64(6), p1 = (float)a.f64(7), p2 = (float)a.f64(8), eps = (float)a.f64(9), c1 = (float)a.f64(10), c2 = (float)a.f64(11), wd = (float)a.f64(12);
  if (!a.ok) return nullptr;
  if (ng != nw || (kind >= 1 && n1 != nw) || (kind == 2 && n2 != nw) || (mask && nm != nw)) { a.fail("optimizer step: arrays differ in length"); return nullptr; }
  if (kind == 0) prunelab::sgdStep((int64_t)nw, w, g, mask, lr, wd);
  else if (kind == 1) prunelab::momentumStep((int64_t)nw, w, g, s1, mask, lr, p1, wd);
  else prunelab::adamStep((int64_t)nw, w, g, s1, s2, mask, {lr, p1, p2, eps, c1, c2, wd});
  return undefined(env);
}

template <typename T, napi_typedarray_type kType>
T* typed(Args& a, size_t i, size_t* len) {
  if (!a.ok) return nullptr;
  napi_typedarray_type t;
  size_t length;
  void* data;
  if (i >= a.n || napi_get_typedarray_info(a.env, a.v[i], &t, &length, &data, nullptr, nullptr) != napi_ok || t != kType) {
    a.fail("expected a typed array of another type");
    return nullptr;
  }
  *len = length;
  return static_cast<T*>(data);
}

void finalizeProgram(napi_env, void* data, void*) { delete static_cast<prunelab::Program*>(data); }

prunelab::Program* program(Args& a, size_t i) {
  void* data = nullptr;
  if (a.ok && (i >= a.n || napi_get_value_external(a.env, a.v[i], &data) != napi_ok || data == nullptr)) a.fail("expected a native program");
  return static_cast<prunelab::Program*>(data);
}

// createProgram(header: Int32Array(5), ops: Int32Array, inputs: Int32Array, constants: Float32Array,
//               paramSizes: Float64Array, paramKinds: Int32Array, optimizer: Float64Array(7)); the encoding is in program.h.
napi_value CreateProgram(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t nh = 0, no = 0, ni = 0, nc = 0, np = 0, nk = 0, nopt = 0;
  const int32_t* header = typed<int32_t, napi_int32_array>(a, 0, &nh);
  const int32_t* ops = typed<int32_t, napi_int32_array>(a, 1, &no);
  const int32_t* inputs = typed<int32_t, napi_int32_array>(a, 2, &ni);
  const float* constants = typed<float, napi_float32_array>(a, 3, &nc);
  const double* sizes = typed<double, napi_float64_array>(a, 4, &np);
  const int32_t* kinds = typed<int32_t, napi_int32_array>(a, 5, &nk);
  const double* opt = typed<double, napi_float64_array>(a, 6, &nopt);
  if (!a.ok) return nullptr;
  if (nh != (size_t)prunelab::kHeaderInts || no % prunelab::kOpInts != 0 || nopt != 7 || nk != np) { a.fail("createProgram: bad encoding"); return nullptr; }
  std::vector<int64_t> paramSizes(np);
  for (size_t i = 0; i < np; i++) paramSizes[i] = (int64_t)sizes[i];
  auto* p = new prunelab::Program();
  const prunelab::OptimizerConfig o{(int32_t)opt[0], (float)opt[1], (float)opt[2], (float)opt[3], (float)opt[4], (float)opt[5], (float)opt[6]};
  const char* err = prunelab::buildProgram(*p, header, ops, (int64_t)(no / prunelab::kOpInts), inputs, (int64_t)ni, constants, (int64_t)nc,
                                           paramSizes.data(), kinds, (int64_t)np, o);
  if (err[0] != 0) { delete p; a.fail(err); return nullptr; }
  napi_value out;
  napi_create_external(env, p, finalizeProgram, nullptr, &out);
  return out;
}

// Reads one Float32Array per parameter from a JS array; each must hold exactly sizes[k] floats
// (or, when nullable, be null; a mask on a parameter that is not trainable must be null).
bool floatArrays(Args& a, size_t i, const prunelab::Program& p, bool masks, std::vector<float*>& out) {
  if (!a.ok) return false;
  napi_value arr = a.v[i];
  uint32_t len = 0;
  if (i >= a.n || napi_get_array_length(a.env, arr, &len) != napi_ok || (size_t)len != p.paramSize.size()) { a.fail("expected an array of Float32Arrays, one per parameter"); return false; }
  out.assign(len, nullptr);
  for (uint32_t k = 0; k < len; k++) {
    napi_value el;
    napi_get_element(a.env, arr, k, &el);
    napi_valuetype vt;
    napi_typeof(a.env, el, &vt);
    if (masks && (vt == napi_null || vt == napi_undefined)) continue;
    if (masks && p.paramKind[k] != prunelab::kTrainable) { a.fail("a mask is given for a parameter that is not trained"); return false; }
    napi_typedarray_type t;
    size_t n;
    void* data;
    if (napi_get_typedarray_info(a.env, el, &t, &n, &data, nullptr, nullptr) != napi_ok || t != napi_float32_array || (int64_t)n != p.paramSize[k]) {
      a.fail(masks ? "a mask has the wrong type or length" : "a parameter array has the wrong type or length");
      return false;
    }
    out[k] = static_cast<float*>(data);
  }
  return true;
}

// trainStep(program, x: Float32Array, labels: Int32Array, params: Float32Array[], masks: (Float32Array|null)[], update: boolean, lr: number) -> loss
// params: one per parameter, state included; masks: one per parameter (null: none). lr is this step's
// learning rate, so a schedule can change it every step.
napi_value TrainStep(napi_env env, napi_callback_info info) {
  Args a(env, info);
  prunelab::Program* p = program(a, 0);
  size_t nx = 0, ny = 0;
  const float* x = typed<float, napi_float32_array>(a, 1, &nx);
  const int32_t* y = typed<int32_t, napi_int32_array>(a, 2, &ny);
  std::vector<float*> params, masks;
  if (!p || !floatArrays(a, 3, *p, false, params) || !floatArrays(a, 4, *p, true, masks)) return nullptr;
  const bool update = a.b(5);
  const double lr = a.f64(6);
  if (!a.ok) return nullptr;
  if (!(lr >= 0) || !std::isfinite(lr)) { a.fail("trainStep: the learning rate must be a finite number >= 0"); return nullptr; }
  if ((int64_t)nx != p->batch * p->bufSize[0] || (int64_t)ny != p->batch) { a.fail("trainStep: batch has the wrong size"); return nullptr; }
  for (size_t k = 0; k < ny; k++)
    if (y[k] < 0 || y[k] >= p->classes) { a.fail("trainStep: a label is out of range"); return nullptr; }
  const double loss = prunelab::trainStep(*p, x, y, params.data(), const_cast<const float* const*>(masks.data()), update, (float)lr);
  napi_value out;
  napi_create_double(env, loss, &out);
  return out;
}

// forward(program, x: Float32Array, n, params: Float32Array[], out: Float32Array)
napi_value Forward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  prunelab::Program* p = program(a, 0);
  size_t nx = 0, nout = 0;
  const float* x = typed<float, napi_float32_array>(a, 1, &nx);
  const int32_t n = a.i32(2);
  std::vector<float*> params;
  if (!p || !floatArrays(a, 3, *p, false, params)) return nullptr;
  float* out = typed<float, napi_float32_array>(a, 4, &nout);
  if (!a.ok) return nullptr;
  if (n <= 0 || n > p->batch || (int64_t)nx < n * p->bufSize[0] || (int64_t)nout < (int64_t)n * p->classes) { a.fail("forward: bad sizes"); return nullptr; }
  prunelab::forward(*p, x, n, params.data(), out);
  return undefined(env);
}

// readGradient(program, k, out: Float32Array): the last step's gradient of parameter k.
napi_value ReadGradient(napi_env env, napi_callback_info info) {
  Args a(env, info);
  prunelab::Program* p = program(a, 0);
  const int32_t k = a.i32(1);
  size_t n = 0;
  float* out = a.f32(2, &n);
  if (!a.ok) return nullptr;
  if (k < 0 || (size_t)k >= p->paramSize.size() || p->paramKind[k] != prunelab::kTrainable || (int64_t)n != p->paramSize[k]) {
    a.fail("readGradient: bad parameter (or one that is not trained)");
    return nullptr;
  }
  std::copy(p->pgrad[k].begin(), p->pgrad[k].end(), out);
  return undefined(env);
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info);
  const int n = a.i32(0);
  if (!a.ok) return nullptr;
  prunelab::setThreads(n < 1 ? 1 : n);
  return undefined(env);
}

// blas(): the BLAS library's configuration and the CPU kernel set it chose, for the run's environment.
napi_value Blas(napi_env env, napi_callback_info) {
  napi_value out, core, config;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, prunelab::blasCore(), NAPI_AUTO_LENGTH, &core);
  napi_create_string_utf8(env, prunelab::blasConfig(), NAPI_AUTO_LENGTH, &config);
  napi_set_named_property(env, out, "core", core);
  napi_set_named_property(env, out, "config", config);
  return out;
}

napi_value GetThreads(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_int32(env, prunelab::getThreads(), &out);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2d", nullptr, Conv<kForward>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropInput", nullptr, Conv<kInput>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv<kFilter>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"convPath", nullptr, ConvPath, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"directIsa", nullptr, DirectIsa, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"optimizerStep", nullptr, OptimizerStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"createProgram", nullptr, CreateProgram, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"trainStep", nullptr, TrainStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"forward", nullptr, Forward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"readGradient", nullptr, ReadGradient, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"blas", nullptr, Blas, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"getThreads", nullptr, GetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  prunelab::setThreads(1);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
