#include "direct.h"
#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

// The addon is built with -march=native: each kernel set exists where the build machine's CPU has it.
#if defined(__AVX512F__)
#define PRUNELAB_AVX512 1
#endif
#if defined(__AVX2__) && defined(__FMA__)
#define PRUNELAB_AVX2 1
#endif
#if defined(PRUNELAB_AVX512) || defined(PRUNELAB_AVX2)
#include <immintrin.h>
#endif

namespace prunelab {
namespace {

// The kernels below are written once, over an instruction set's traits: its vector of kLanes floats,
// the widest pass (kMaxNv vectors of output channels), and per NV the pixels (forward) or input channels
// (filter gradient) per register block, so that the accumulators, NV weight (or dy) vectors and one
// broadcast fit in the vector registers without spilling. NV = 0 is the tail: one vector of which only
// the first `tail` lanes are channels (masked loads and stores, which never touch the lanes past them),
// so that any channel count runs direct: LeNet-5's 20 and 50 output channels are 16 + 4 and 48 + 2.
constexpr int kMaxNv = 4;  // the widest pass of any instruction set
using PerNv = std::array<int, kMaxNv + 1>;

#if defined(PRUNELAB_AVX512)
// 32 zmm registers: at most 24 accumulators. Blocks of 11 pixels, not 24 / NV: each pixel's window
// pointer is a general register too, and 14 of them spilled.
struct Avx512 {
  using V = __m512;
  static constexpr int kLanes = 16, kMaxNv = 4;
  static constexpr PerNv kPixels = {11, 11, 11, 8, 6};
  static constexpr PerNv kChannels = {16, 16, 12, 8, 6};
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  using Mask = __mmask16;
  static Mask tailMask(int n) { return (Mask)((1u << n) - 1); }
  static V load(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(float* p, Mask m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static V zero() { return _mm512_setzero_ps(); }
  static V broadcast(float x) { return _mm512_set1_ps(x); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
};
#endif

#if defined(PRUNELAB_AVX2)
// 16 ymm registers (Haswell and later, Zen): at most 12 accumulators, 8 output channels per vector.
struct Avx2 {
  using V = __m256;
  static constexpr int kLanes = 8, kMaxNv = 2;
  static constexpr PerNv kPixels = {12, 12, 6, 0, 0};
  static constexpr PerNv kChannels = {12, 12, 6, 0, 0};
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  using Mask = __m256i;
  static Mask tailMask(int n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
  static V load(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
  static void store(float* p, Mask m, V v) { _mm256_maskstore_ps(p, m, v); }
  static V zero() { return _mm256_setzero_ps(); }
  static V broadcast(float x) { return _mm256_set1_ps(x); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};
#endif


// A zero-padded copy of an NHWC batch: h x w pixels each, the input placed at (top, left).
// Rows or columns the convolution never reads (a 'valid' window that does not reach the
// last ones) are left out.
struct Padded {
  int h, w;
};

thread_local std::vector<float> padScratch, flipScratch;

// Into `into` (grown, never shrunk: one buffer serves every layer of every step). Only the border is zeroed.
const float* padBatch(int batch, int inH, int inW, int c, int top, int left, Padded p, const float* x, std::vector<float>& into = padScratch) {
  const size_t size = (size_t)batch * p.h * p.w * c;
  if (into.size() < size) into.resize(size);
  float* out = into.data();
  const int x0 = std::max(0, -left), x1 = std::max(x0, std::min(inW, p.w - left));
  const size_t row = (size_t)p.w * c, before = (size_t)(x0 + left) * c, middle = (size_t)(x1 - x0) * c;
  for (int b = 0; b < batch; b++)
    for (int py = 0; py < p.h; py++) {
      float* dst = out + ((int64_t)b * p.h + py) * row;
      const int iy = py - top;
      if (iy < 0 || iy >= inH || middle == 0) {
        std::memset(dst, 0, sizeof(float) * row);
        continue;
      }
      std::memset(dst, 0, sizeof(float) * before);
      std::memcpy(dst + before, x + (((int64_t)b * inH + iy) * inW + x0) * c, sizeof(float) * middle);
      std::memset(dst + before + middle, 0, sizeof(float) * (row - before - middle));
    }
  return out;
}

// Loads and stores of vector v of a pass: whole vectors, or for the tail (NV = 0) the first `tail` lanes.
template <class I, int NV>
struct Lanes {
  static constexpr int kVectors = NV == 0 ? 1 : NV;
  typename I::Mask mask;
  explicit Lanes(int tail) : mask(NV == 0 ? I::tailMask(tail) : typename I::Mask{}) {}
  typename I::V load(const float* p) const {
    if constexpr (NV == 0) return I::load(p, mask);
    else return I::load(p);
  }
  void store(float* p, typename I::V v) const {
    if constexpr (NV == 0) I::store(p, mask, v);
    else I::store(p, v);
  }
};

// y[p, o] (+)= sum over (ky, j) of x[p, ky, j] w[ky, j, o] for P pixels and NV vectors of output channels,
// where j runs over one window row, kW x C values contiguous in NHWC (j = kx C + c). Pixel p's
// window starts at x + off[p] (a block may span output rows); its output at y + p ldy.
template <class I, int NV, int P>
void forwardBlock(const float* x, const int64_t* off, int64_t rowStep, int kH, int rowLen, const float* w, int ldw, float* y, int ldy, bool acc, int tail) {
  const Lanes<I, NV> lanes(tail);
  constexpr int kV = Lanes<I, NV>::kVectors;
  typename I::V a[P][kV];
  const float* xp[P];
#pragma GCC unroll 16
  for (int p = 0; p < P; p++) {
    xp[p] = x + off[p];
#pragma GCC unroll 4
    for (int v = 0; v < kV; v++) a[p][v] = acc ? lanes.load(y + (int64_t)p * ldy + I::kLanes * v) : I::zero();
  }
  for (int ky = 0; ky < kH; ky++) {
    const int64_t xr = ky * rowStep;
    const float* wr = w + (int64_t)ky * rowLen * ldw;
    for (int j = 0; j < rowLen; j++) {
      typename I::V wv[kV];
#pragma GCC unroll 4
      for (int v = 0; v < kV; v++) wv[v] = lanes.load(wr + (int64_t)j * ldw + I::kLanes * v);
#pragma GCC unroll 16
      for (int p = 0; p < P; p++) {
        const typename I::V xb = I::broadcast(xp[p][xr + j]);
#pragma GCC unroll 4
        for (int v = 0; v < kV; v++) a[p][v] = I::fmadd(xb, wv[v], a[p][v]);
      }
    }
  }
#pragma GCC unroll 16
  for (int p = 0; p < P; p++)
#pragma GCC unroll 4
    for (int v = 0; v < kV; v++) lanes.store(y + (int64_t)p * ldy + I::kLanes * v, a[p][v]);
}

// dw[c, o] += sum over the image's output pixels of x[pixel + tap, c] dy[pixel, o], for CB input
// channels and NV vectors of output channels; the accumulators stay in registers across the whole image.
template <class I, int NV, int CB>
void filterBlock(const float* x, int64_t pixStep, int64_t rowStep, int outH, int outW, const float* dy, int ldy, float* dw, int ldw, int tail) {
  const Lanes<I, NV> lanes(tail);
  constexpr int kV = Lanes<I, NV>::kVectors;
  typename I::V a[CB][kV];
#pragma GCC unroll 16
  for (int c = 0; c < CB; c++)
#pragma GCC unroll 4
    for (int v = 0; v < kV; v++) a[c][v] = lanes.load(dw + (int64_t)c * ldw + I::kLanes * v);
  for (int oy = 0; oy < outH; oy++) {
    const float* xr = x + oy * rowStep;
    const float* dr = dy + (int64_t)oy * outW * ldy;
    for (int ox = 0; ox < outW; ox++) {
      const float* xv = xr + ox * pixStep;
      typename I::V d[kV];
#pragma GCC unroll 4
      for (int v = 0; v < kV; v++) d[v] = lanes.load(dr + (int64_t)ox * ldy + I::kLanes * v);
#pragma GCC unroll 16
      for (int c = 0; c < CB; c++) {
        const typename I::V xb = I::broadcast(xv[c]);
#pragma GCC unroll 4
        for (int v = 0; v < kV; v++) a[c][v] = I::fmadd(xb, d[v], a[c][v]);
      }
    }
  }
#pragma GCC unroll 16
  for (int c = 0; c < CB; c++)
#pragma GCC unroll 4
    for (int v = 0; v < kV; v++) lanes.store(dw + (int64_t)c * ldw + I::kLanes * v, a[c][v]);
}

using ForwardFn = void (*)(const float*, const int64_t*, int64_t, int, int, const float*, int, float*, int, bool, int);
using FilterFn = void (*)(const float*, int64_t, int64_t, int, int, const float*, int, float*, int, int);

// Tables of the block kernels by (NV, block size); entry [nv][n - 1] handles n pixels or channels, and
// row 0 the tail.
template <class I, int NV, int... Ns>
constexpr std::array<ForwardFn, 16> forwardRow(std::integer_sequence<int, Ns...>) {
  return {&forwardBlock<I, NV, Ns + 1>...};
}
template <class I, int NV, int... Ns>
constexpr std::array<FilterFn, 16> filterRow(std::integer_sequence<int, Ns...>) {
  return {&filterBlock<I, NV, Ns + 1>...};
}
// Rows past the instruction set's widest pass stay empty (never read: nv <= I::kMaxNv).
template <class I, int NV>
constexpr std::array<ForwardFn, 16> forwardRowFor() {
  if constexpr (NV > I::kMaxNv) return {};
  else return forwardRow<I, NV>(std::make_integer_sequence<int, I::kPixels[NV]>{});
}
template <class I, int NV>
constexpr std::array<FilterFn, 16> filterRowFor() {
  if constexpr (NV > I::kMaxNv) return {};
  else return filterRow<I, NV>(std::make_integer_sequence<int, I::kChannels[NV]>{});
}
template <class I>
const std::array<std::array<ForwardFn, 16>, kMaxNv + 1> kForward = {
    forwardRowFor<I, 0>(), forwardRowFor<I, 1>(), forwardRowFor<I, 2>(), forwardRowFor<I, 3>(), forwardRowFor<I, 4>(),
};
template <class I>
const std::array<std::array<FilterFn, 16>, kMaxNv + 1> kFilter = {
    filterRowFor<I, 0>(), filterRowFor<I, 1>(), filterRowFor<I, 2>(), filterRowFor<I, 3>(), filterRowFor<I, 4>(),
};

thread_local std::vector<int64_t> offScratch;

// Runs the block kernel over n items in equal blocks (32: 10, 11, 11, not 14, 14, 4: a short last block
// reuses each weight load least); f(start, count, kernel) calls it on one.
template <class I, typename F>
void inBlocks(int n, int nv, F f) {
  const int blocks = (n + I::kPixels[nv] - 1) / I::kPixels[nv];
  for (int k = 0, at = 0; k < blocks; k++) {
    const int len = (n - at) / (blocks - k);
    f(at, len, kForward<I>[nv][len - 1]);
    at += len;
  }
}

// The passes over n channels: f(first channel, nv, tail) with as many whole vectors as fit, at most
// kMaxNv at a time, then the tail (nv = 0) of fewer than kLanes channels.
template <class I, typename F>
void inPasses(int n, F f) {
  for (int c0 = 0; c0 < n;) {
    const int nv = std::min(I::kMaxNv, (n - c0) / I::kLanes);
    const int tail = nv == 0 ? n - c0 : 0;
    f(c0, nv, tail);
    c0 += nv == 0 ? tail : nv * I::kLanes;
  }
}

// A convolution over an already padded batch (every window lies inside it): y [batch, outH, outW, outC].
// Blocks run over each image's output pixels in order, across rows (an 8-pixel row alone would make
// blocks of 6 and 2).
template <class I>
void forwardPadded(const float* xp, int batch, Padded p, int c, int outH, int outW, int outC, int kH, int kW, int sH, int sW, const float* w, float* y,
                   bool acc) {
  const int64_t rowStep = (int64_t)p.w * c, image = (int64_t)p.h * rowStep;
  const int rowLen = kW * c, pixels = outH * outW;
  offScratch.resize(pixels);
  for (int oy = 0; oy < outH; oy++)
    for (int ox = 0; ox < outW; ox++) offScratch[oy * outW + ox] = (int64_t)oy * sH * rowStep + (int64_t)ox * sW * c;
  const int64_t* off = offScratch.data();
  for (int b = 0; b < batch; b++) {
    const float* xb = xp + b * image;
    float* yb = y + (int64_t)b * pixels * outC;
    inPasses<I>(outC, [&](int o0, int nv, int tail) {
      inBlocks<I>(pixels, nv, [&](int at, int, ForwardFn k) { k(xb, off + at, rowStep, kH, rowLen, w + o0, outC, yb + (int64_t)at * outC + o0, outC, acc, tail); });
    });
  }
}

// The padded extent a convolution reads: the last window's far edge.
Padded extent(int out, int stride, int k, int outW, int strideW, int kW) { return {(out - 1) * stride + k, (outW - 1) * strideW + kW}; }

// Where the direct kernels beat im2col + GEMM, measured per direction on the 2-core Xeon VM (AVX-512,
// batch 60, 2026-12-01; ms per call, direct against GEMM):
// - forward: any channel count, the tail pass taking the channels past the last whole vector (LeNet-5's
//   5x5 convolutions, 1 -> 20 and 20 -> 50 channels: 1.05 against 1.36, 1.68 against 2.98);
// - filter gradient: the accumulators are CB input channels by NV vectors, too few to hide the FMA
//   latency with one input channel (LeNet-5's first: 2.62 against 1.58), so at least 8 input channels
//   (its second: 1.84 against 2.63), or whole vectors of output channels as in the CIFAR stems (3 -> 16);
// - input gradient: whole vectors of input channels only. With a tail it lost (20 -> 50: 6.78 against
//   3.03; 'same' padding 2.68 against 2.36); 'valid' windows cost the flipped convolution most, since it
//   runs over the zeros padded around dy.
template <class I>
bool covers(const ConvGeom& g, int kind) {
  if (g.dilH != 1 || g.dilW != 1 || g.padTop < 0 || g.padLeft < 0) return false;
  if (kind == 1) return g.inC % I::kLanes == 0;
  if (kind == 2) return g.outC % I::kLanes == 0 || g.inC >= 8;
  return true;
}

template <class I>
void forward(const ConvGeom& g, const float* x, const float* w, float* y, std::vector<float>* keep) {
  const Padded p = extent(g.outH, g.strideH, g.kH, g.outW, g.strideW, g.kW);
  const float* xp = padBatch(g.batch, g.inH, g.inW, g.inC, g.padTop, g.padLeft, p, x, keep ? *keep : padScratch);
  forwardPadded<I>(xp, g.batch, p, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW, w, y, false);
}

// With stride 1 the input gradient is a convolution of dy, padded by k - 1 - pad before, with the kernel
// turned 180 degrees and its channels swapped: dx[i] = sum over k of dy[i + pad - k] w[k]. Each dx value
// is written once.
template <class I>
void inputGradientFlipped(const ConvGeom& g, const float* dy, const float* w, float* dx, bool acc) {
  const int kH = g.kH, kW = g.kW, ci = g.inC, co = g.outC;
  flipScratch.resize((size_t)kH * kW * ci * co);
  float* wf = flipScratch.data();
  for (int ky = 0; ky < kH; ky++)
    for (int kx = 0; kx < kW; kx++) {
      const float* src = w + ((int64_t)(kH - 1 - ky) * kW + (kW - 1 - kx)) * ci * co;
      float* dst = wf + ((int64_t)ky * kW + kx) * co * ci;
      for (int c = 0; c < ci; c++)
        for (int o = 0; o < co; o++) dst[(int64_t)o * ci + c] = src[(int64_t)c * co + o];
    }
  const Padded p = extent(g.inH, 1, kH, g.inW, 1, kW);
  const float* dyp = padBatch(g.batch, g.outH, g.outW, co, kH - 1 - g.padTop, kW - 1 - g.padLeft, p, dy);
  forwardPadded<I>(dyp, g.batch, p, co, g.inH, g.inW, ci, kH, kW, 1, 1, wf, dx, acc);
}

// Any stride: for each tap, dx[pixel * stride + tap] += dy[pixel] w[tap]^T, the sum over the output
// channels done in registers and added into dx block by block (col2im without the patch matrix).
template <class I>
void inputGradientScattered(const ConvGeom& g, const float* dy, const float* w, float* dx, bool acc) {
  const int kH = g.kH, kW = g.kW, ci = g.inC, co = g.outC;
  flipScratch.resize((size_t)kH * kW * ci * co);
  float* wt = flipScratch.data();  // wt[tap][o][c] = w[tap][c][o]
  for (int t = 0; t < kH * kW; t++)
    for (int c = 0; c < ci; c++)
      for (int o = 0; o < co; o++) wt[((int64_t)t * co + o) * ci + c] = w[((int64_t)t * ci + c) * co + o];
  if (!acc) std::memset(dx, 0, sizeof(float) * (size_t)g.batch * g.inH * g.inW * ci);
  const int pixStep = g.strideW * ci;
  int64_t steps[16];  // dy's pixels are consecutive
  for (int p = 0; p < 16; p++) steps[p] = (int64_t)p * co;
  for (int b = 0; b < g.batch; b++)
    for (int oy = 0; oy < g.outH; oy++) {
      const float* dyr = dy + ((int64_t)b * g.outH + oy) * g.outW * co;
      for (int ky = 0; ky < kH; ky++) {
        const int iy = oy * g.strideH + ky - g.padTop;
        if (iy < 0 || iy >= g.inH) continue;
        float* dxr = dx + ((int64_t)b * g.inH + iy) * g.inW * ci;
        for (int kx = 0; kx < kW; kx++) {
          // The output columns whose tap kx lands inside the input: ix = ox * stride + kx - padLeft in [0, inW).
          const int lo = std::max(0, (g.padLeft - kx + g.strideW - 1) / g.strideW);
          const int last = g.inW - 1 + g.padLeft - kx;  // floor(last / stride) is the last column; none when last < 0
          const int hi = last < 0 ? 0 : std::min(g.outW, last / g.strideW + 1);
          if (hi <= lo) continue;
          const float* wk = wt + ((int64_t)ky * kW + kx) * co * ci;
          inPasses<I>(ci, [&](int c0, int nv, int tail) {
            inBlocks<I>(hi - lo, nv, [&](int at, int, ForwardFn k) {
              const int ox = lo + at;
              k(dyr + (int64_t)ox * co, steps, 0, 1, co, wk + c0, ci, dxr + (int64_t)(ox * g.strideW + kx - g.padLeft) * ci + c0, pixStep, true, tail);
            });
          });
        }
      }
    }
}

template <class I>
void inputGradient(const ConvGeom& g, const float* dy, const float* w, float* dx, bool acc) {
  if (g.strideH == 1 && g.strideW == 1 && g.padTop <= g.kH - 1 && g.padLeft <= g.kW - 1) inputGradientFlipped<I>(g, dy, w, dx, acc);
  else inputGradientScattered<I>(g, dy, w, dx, acc);
}

template <class I>
void filterGradient(const ConvGeom& g, const float* x, const float* dy, float* dw, const float* padded) {
  const Padded p = extent(g.outH, g.strideH, g.kH, g.outW, g.strideW, g.kW);
  const float* xp = padded ? padded : padBatch(g.batch, g.inH, g.inW, g.inC, g.padTop, g.padLeft, p, x);
  const int C = g.inC, O = g.outC;
  std::memset(dw, 0, sizeof(float) * (size_t)g.kH * g.kW * C * O);
  const int64_t pixStep = (int64_t)g.strideW * C, rowStep = (int64_t)g.strideH * p.w * C;
  for (int b = 0; b < g.batch; b++) {
    const float* xb = xp + (int64_t)b * p.h * p.w * C;
    const float* db = dy + (int64_t)b * g.outH * g.outW * O;
    for (int ky = 0; ky < g.kH; ky++)
      for (int kx = 0; kx < g.kW; kx++) {
        const float* xt = xb + ((int64_t)ky * p.w + kx) * C;
        float* dt = dw + ((int64_t)ky * g.kW + kx) * C * O;
        inPasses<I>(O, [&](int o0, int nv, int tail) {
          for (int c0 = 0; c0 < C; c0 += I::kChannels[nv]) {
            const int n = std::min(I::kChannels[nv], C - c0);
            kFilter<I>[nv][n - 1](xt + c0, pixStep, rowStep, g.outH, g.outW, db + o0, O, dt + (int64_t)c0 * O + o0, O, tail);
          }
        });
      }
  }
}

// The instruction set the kernels run with: the widest this build has, unless useDirectIsa chose another.
enum class Isa { kOff, kAvx2, kAvx512 };
constexpr Isa kBest =
#if defined(PRUNELAB_AVX512)
    Isa::kAvx512;
#elif defined(PRUNELAB_AVX2)
    Isa::kAvx2;
#else
    Isa::kOff;
#endif
// Atomic: worker threads read it on every convolution while a test or the bench may choose another.
std::atomic<Isa> active{kBest};

// Calls f with the active instruction set's traits; false (f not called) when there is none.
template <typename F>
bool withIsa([[maybe_unused]] F f) {
  switch (active) {
#if defined(PRUNELAB_AVX512)
    case Isa::kAvx512:
      return f(Avx512{});
#endif
#if defined(PRUNELAB_AVX2)
    case Isa::kAvx2:
      return f(Avx2{});
#endif
    default:
      return false;
  }
}

}  // namespace

bool directCovers(const ConvGeom& g, int kind) {
  return withIsa([&](auto isa) { return covers<decltype(isa)>(g, kind); });
}

bool directConv2d(const ConvGeom& g, const float* x, const float* w, float* y, std::vector<float>* keep) {
  return withIsa([&](auto isa) {
    using I = decltype(isa);
    if (!covers<I>(g, 0)) return false;
    forward<I>(g, x, w, y, keep);
    return true;
  });
}

bool directConv2dBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx, bool acc) {
  return withIsa([&](auto isa) {
    using I = decltype(isa);
    if (!covers<I>(g, 1)) return false;
    inputGradient<I>(g, dy, w, dx, acc);
    return true;
  });
}

bool directConv2dBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw, const float* padded) {
  return withIsa([&](auto isa) {
    using I = decltype(isa);
    if (!covers<I>(g, 2)) return false;
    filterGradient<I>(g, x, dy, dw, padded);
    return true;
  });
}

std::vector<const char*> directIsas() {
  std::vector<const char*> out;
#if defined(PRUNELAB_AVX512)
  out.push_back("avx512");
#endif
#if defined(PRUNELAB_AVX2)
  out.push_back("avx2");
#endif
  return out;
}

const char* directIsa() { return active == Isa::kAvx512 ? "avx512" : active == Isa::kAvx2 ? "avx2" : "off"; }

bool useDirectIsa(const std::string& name) {
  if (name == "off") active = Isa::kOff;
#if defined(PRUNELAB_AVX512)
  else if (name == "avx512") active = Isa::kAvx512;
#endif
#if defined(PRUNELAB_AVX2)
  else if (name == "avx2") active = Isa::kAvx2;
#endif
  else return false;
  return true;
}

}  // namespace prunelab
