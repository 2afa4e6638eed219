#include "kernels.h"
#include "direct.h"
#include <cblas.h>
#include <cmath>
#include <cstring>
#include <vector>
#include <algorithm>

namespace prunelab {

void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// im2col over a block of output rows: rows [r0, r0+rows) of the [batch*outH*outW, kH*kW*inC] patch matrix.
static void im2col(const ConvGeom& g, const float* x, int64_t r0, int64_t rows, float* col) {
  const int64_t cols = (int64_t)g.kH * g.kW * g.inC;
  const int64_t perImage = (int64_t)g.outH * g.outW;
  for (int64_t r = 0; r < rows; r++) {
    const int64_t row = r0 + r;
    const int64_t b = row / perImage;
    const int64_t rem = row % perImage;
    const int oy = (int)(rem / g.outW), ox = (int)(rem % g.outW);
    float* dst = col + r * cols;
    const float* img = x + b * (int64_t)g.inH * g.inW * g.inC;
    const int ix0 = ox * g.strideW - g.padLeft;
    // With dilation 1 a window row is kW * inC contiguous floats when it lies inside the image.
    const bool rowInside = g.dilW == 1 && ix0 >= 0 && ix0 + g.kW <= g.inW;
    for (int ky = 0; ky < g.kH; ky++) {
      const int iy = oy * g.strideH - g.padTop + ky * g.dilH;
      float* d = dst + (int64_t)ky * g.kW * g.inC;
      if (iy < 0 || iy >= g.inH) {
        std::memset(d, 0, sizeof(float) * g.kW * g.inC);
        continue;
      }
      const float* row = img + (int64_t)iy * g.inW * g.inC;
      if (rowInside) {
        std::memcpy(d, row + (int64_t)ix0 * g.inC, sizeof(float) * g.kW * g.inC);
        continue;
      }
      for (int kx = 0; kx < g.kW; kx++) {
        const int ix = ix0 + kx * g.dilW;
        if (ix < 0 || ix >= g.inW) std::memset(d + kx * g.inC, 0, sizeof(float) * g.inC);
        else std::memcpy(d + kx * g.inC, row + (int64_t)ix * g.inC, sizeof(float) * g.inC);
      }
    }
  }
}

// col2im accumulate: adds the patch rows back into dx.
static void col2im(const ConvGeom& g, const float* col, int64_t r0, int64_t rows, float* dx) {
  const int64_t cols = (int64_t)g.kH * g.kW * g.inC;
  const int64_t perImage = (int64_t)g.outH * g.outW;
  for (int64_t r = 0; r < rows; r++) {
    const int64_t row = r0 + r;
    const int64_t b = row / perImage;
    const int64_t rem = row % perImage;
    const int oy = (int)(rem / g.outW), ox = (int)(rem % g.outW);
    const float* src = col + r * cols;
    float* img = dx + b * (int64_t)g.inH * g.inW * g.inC;
    for (int ky = 0; ky < g.kH; ky++) {
      const int iy = oy * g.strideH - g.padTop + ky * g.dilH;
      if (iy < 0 || iy >= g.inH) continue;
      for (int kx = 0; kx < g.kW; kx++) {
        const int ix = ox * g.strideW - g.padLeft + kx * g.dilW;
        if (ix < 0 || ix >= g.inW) continue;
        const float* s = src + ((int64_t)ky * g.kW + kx) * g.inC;
        float* d = img + ((int64_t)iy * g.inW + ix) * g.inC;
        for (int c = 0; c < g.inC; c++) d[c] += s[c];
      }
    }
  }
}

// Bounded scratch: at most this many floats per im2col block (16 MiB).
static const int64_t kMaxBlockFloats = 1 << 22;
static thread_local std::vector<float> scratch;

static int64_t blockRows(const ConvGeom& g) {
  const int64_t cols = (int64_t)g.kH * g.kW * g.inC;
  return std::max<int64_t>(1, kMaxBlockFloats / std::max<int64_t>(1, cols));
}

static bool isPointwise(const ConvGeom& g) {
  return g.kH == 1 && g.kW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 && g.padLeft == 0;
}

bool convUsesDirect(const ConvGeom& g, int kind) { return !isPointwise(g) && directCovers(g, kind); }

void conv2d(const ConvGeom& g, const float* x, const float* w, float* y, std::vector<float>* keep) {
  const int64_t rowsTotal = (int64_t)g.batch * g.outH * g.outW;
  const int cols = g.kH * g.kW * g.inC;
  if (isPointwise(g)) {
    gemm(false, false, (int)rowsTotal, g.outC, cols, 1.f, x, cols, w, g.outC, 0.f, y, g.outC);
    return;
  }
  if (directConv2d(g, x, w, y, keep)) return;
  const int64_t block = blockRows(g);
  scratch.resize((size_t)(std::min(block, rowsTotal) * cols));
  for (int64_t r0 = 0; r0 < rowsTotal; r0 += block) {
    const int64_t rows = std::min(block, rowsTotal - r0);
    im2col(g, x, r0, rows, scratch.data());
    gemm(false, false, (int)rows, g.outC, cols, 1.f, scratch.data(), cols, w, g.outC, 0.f, y + r0 * g.outC, g.outC);
  }
}

void conv2dBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx, bool acc) {
  const int64_t rowsTotal = (int64_t)g.batch * g.outH * g.outW;
  const int cols = g.kH * g.kW * g.inC;
  if (isPointwise(g)) {
    gemm(false, true, (int)rowsTotal, cols, g.outC, 1.f, dy, g.outC, w, g.outC, acc ? 1.f : 0.f, dx, cols);
    return;
  }
  if (directConv2dBackpropInput(g, dy, w, dx, acc)) return;
  if (!acc) std::memset(dx, 0, sizeof(float) * (size_t)g.batch * g.inH * g.inW * g.inC);
  const int64_t block = blockRows(g);
  scratch.resize((size_t)(std::min(block, rowsTotal) * cols));
  for (int64_t r0 = 0; r0 < rowsTotal; r0 += block) {
    const int64_t rows = std::min(block, rowsTotal - r0);
    // col[rows, cols] = dy[rows, outC] * w[cols, outC]^T
    gemm(false, true, (int)rows, cols, g.outC, 1.f, dy + r0 * g.outC, g.outC, w, g.outC, 0.f, scratch.data(), cols);
    col2im(g, scratch.data(), r0, rows, dx);
  }
}

void conv2dBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw, const float* padded) {
  const int64_t rowsTotal = (int64_t)g.batch * g.outH * g.outW;
  const int cols = g.kH * g.kW * g.inC;
  if (isPointwise(g)) {
    gemm(true, false, cols, g.outC, (int)rowsTotal, 1.f, x, cols, dy, g.outC, 0.f, dw, g.outC);
    return;
  }
  if (directConv2dBackpropFilter(g, x, dy, dw, padded)) return;
  const int64_t block = blockRows(g);
  scratch.resize((size_t)(std::min(block, rowsTotal) * cols));
  for (int64_t r0 = 0; r0 < rowsTotal; r0 += block) {
    const int64_t rows = std::min(block, rowsTotal - r0);
    im2col(g, x, r0, rows, scratch.data());
    // dw[cols, outC] (+)= col[rows, cols]^T * dy[rows, outC]
    gemm(true, false, cols, g.outC, (int)rows, 1.f, scratch.data(), cols, dy + r0 * g.outC, g.outC, r0 == 0 ? 0.f : 1.f, dw, g.outC);
  }
}

// The update formulas are tfjs-core 4.22's AdamOptimizer / MomentumOptimizer /
// SGDOptimizer, fused with gradient masking, weight decay and mask re-application.
void adamStep(int64_t n, float* __restrict w, const float* __restrict g, float* __restrict m, float* __restrict v, const float* __restrict mask,
              const AdamParams& p) {
  const float c1 = 1.f - p.beta1, c2 = 1.f - p.beta2;
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i];
    if (p.weightDecay != 0.f) gi += w[i] * p.weightDecay;
    if (mask) gi *= mask[i];
    const float mi = m[i] * p.beta1 + gi * c1;
    const float vi = v[i] * p.beta2 + (gi * gi) * c2;
    m[i] = mi;
    v[i] = vi;
    const float mh = mi / p.oneMinusAccBeta1;
    const float vh = vi / p.oneMinusAccBeta2;
    float wi = (mh / (std::sqrt(vh) + p.epsilon)) * -p.lr + w[i];
    if (mask) wi *= mask[i];
    w[i] = wi;
  }
}

void momentumStep(int64_t n, float* __restrict w, const float* __restrict g, float* __restrict acc, const float* __restrict mask, float lr, float momentum,
                  float weightDecay) {
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i];
    if (weightDecay != 0.f) gi += w[i] * weightDecay;
    if (mask) gi *= mask[i];
    const float a = acc[i] * momentum + gi;
    acc[i] = a;
    float wi = a * -lr + w[i];
    if (mask) wi *= mask[i];
    w[i] = wi;
  }
}

void sgdStep(int64_t n, float* __restrict w, const float* __restrict g, const float* __restrict mask, float lr, float weightDecay) {
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i];
    if (weightDecay != 0.f) gi += w[i] * weightDecay;
    if (mask) gi *= mask[i];
    float wi = gi * -lr + w[i];
    if (mask) wi *= mask[i];
    w[i] = wi;
  }
}

extern "C" char* openblas_get_corename(void);
extern "C" char* openblas_get_config(void);
const char* blasCore() { return openblas_get_corename(); }
const char* blasConfig() { return openblas_get_config(); }
extern "C" void openblas_set_num_threads(int);
extern "C" int openblas_get_num_threads(void);
void setThreads(int n) { openblas_set_num_threads(n); }
int getThreads() { return openblas_get_num_threads(); }

}  // namespace prunelab
