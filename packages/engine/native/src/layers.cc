#include "layers.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace prunelab {
namespace {

inline float activate(int32_t fn, float x) {
  switch (fn) {
    case kRelu: return x > 0.f ? x : 0.f;
    case kRelu6: return std::min(6.f, std::max(0.f, x));
    case kElu: return x > 0.f ? x : std::expm1(x);
    case kSelu: return 1.0507009873554805f * (x > 0.f ? x : 1.6732632423543772f * std::expm1(x));
    case kTanh: return std::tanh(x);
    case kSigmoid: return 1.f / (1.f + std::exp(-x));
    case kSoftplus: return x > 20.f ? x : std::log1p(std::exp(x));
    case kSoftsign: return x / (std::fabs(x) + 1.f);
    default: return x;
  }
}

// d activation / d x, from the input x and output y.
inline float derivative(int32_t fn, float x, float y) {
  switch (fn) {
    case kRelu: return x > 0.f ? 1.f : 0.f;
    case kRelu6: return (x > 0.f && x <= 6.f) ? 1.f : 0.f;
    case kElu: return x > 0.f ? 1.f : y + 1.f;
    case kSelu: return x > 0.f ? 1.0507009873554805f : 1.0507009873554805f * 1.6732632423543772f * std::exp(x);
    case kTanh: return 1.f - y * y;
    case kSigmoid: return y * (1.f - y);
    case kSoftplus: return 1.f / (1.f + std::exp(-x));
    case kSoftsign: { const float d = std::fabs(x) + 1.f; return 1.f / (d * d); }
    default: return 1.f;
  }
}

inline void put(float* dst, float v, bool acc) { *dst = acc ? *dst + v : v; }

}  // namespace

void activationForward(int32_t fn, int64_t rows, int32_t cols, const float* __restrict x, float* __restrict y) {
  const int64_t n = rows * cols;
  if (fn == kRelu) {
    for (int64_t k = 0; k < n; k++) y[k] = x[k] > 0.f ? x[k] : 0.f;
  } else if (fn == kSoftmax) {
    for (int64_t r = 0; r < rows; r++) {
      const float* z = x + r * cols;
      float* out = y + r * cols;
      float mx = z[0];
      for (int32_t c = 1; c < cols; c++) mx = std::max(mx, z[c]);
      float sum = 0.f;
      for (int32_t c = 0; c < cols; c++) sum += (out[c] = std::exp(z[c] - mx));
      for (int32_t c = 0; c < cols; c++) out[c] /= sum;
    }
  } else {
    for (int64_t k = 0; k < n; k++) y[k] = activate(fn, x[k]);
  }
}

void activationBackward(int32_t fn, int64_t rows, int32_t cols, const float* __restrict x, const float* __restrict y, const float* __restrict dy,
                        float* __restrict dx, bool acc) {
  const int64_t n = rows * cols;
  if (fn == kRelu) {
    if (acc) for (int64_t k = 0; k < n; k++) dx[k] += x[k] > 0.f ? dy[k] : 0.f;
    else for (int64_t k = 0; k < n; k++) dx[k] = x[k] > 0.f ? dy[k] : 0.f;
  } else if (fn == kSoftmax) {
    // dx = y (dy - sum(dy y)) per row.
    for (int64_t r = 0; r < rows; r++) {
      const float* yr = y + r * cols;
      const float* d = dy + r * cols;
      float dot = 0.f;
      for (int32_t c = 0; c < cols; c++) dot += d[c] * yr[c];
      for (int32_t c = 0; c < cols; c++) put(dx + r * cols + c, yr[c] * (d[c] - dot), acc);
    }
  } else {
    for (int64_t k = 0; k < n; k++) put(dx + k, dy[k] * derivative(fn, x[k], y[k]), acc);
  }
}

void affineForward(int64_t rows, int32_t c, const float* __restrict x, const float* __restrict scale, const float* __restrict offset, float* __restrict y) {
  for (int64_t r = 0; r < rows; r++)
    for (int32_t k = 0; k < c; k++) y[r * c + k] = x[r * c + k] * scale[k] + offset[k];
}

void affineBackward(int64_t rows, int32_t c, const float* __restrict scale, const float* __restrict dy, float* __restrict dx, bool acc) {
  for (int64_t r = 0; r < rows; r++)
    for (int32_t k = 0; k < c; k++) put(dx + r * c + k, dy[r * c + k] * scale[k], acc);
}

void poolForward(const ConvGeom& g, bool isMax, const float* __restrict x, float* __restrict y, int32_t* __restrict arg) {
  const int C = g.inC;
  for (int b = 0; b < g.batch; b++) {
    const float* img = x + (int64_t)b * g.inH * g.inW * C;
    for (int oy = 0; oy < g.outH; oy++) {
      const int y0 = std::max(0, oy * g.strideH - g.padTop), y1 = std::min(g.inH, oy * g.strideH - g.padTop + g.kH);
      for (int ox = 0; ox < g.outW; ox++) {
        const int x0 = std::max(0, ox * g.strideW - g.padLeft), x1 = std::min(g.inW, ox * g.strideW - g.padLeft + g.kW);
        const int64_t o = (((int64_t)b * g.outH + oy) * g.outW + ox) * C;
        float* out = y + o;
        // The first in-bounds pixel starts the window (it always has one: tfjs' padding never leaves a window empty).
        const int32_t first = (y0 * g.inW + x0) * C;
        std::memcpy(out, img + first, sizeof(float) * C);
        if (isMax)
          for (int c = 0; c < C; c++) arg[o + c] = first + c;
        for (int iy = y0; iy < y1; iy++)
          for (int ix = (iy == y0 ? x0 + 1 : x0); ix < x1; ix++) {
            const int32_t at = (iy * g.inW + ix) * C;
            const float* v = img + at;
            if (isMax) {
              int32_t* am = arg + o;
              for (int c = 0; c < C; c++)
                if (v[c] > out[c]) { out[c] = v[c]; am[c] = at + c; }
            } else {
              for (int c = 0; c < C; c++) out[c] += v[c];
            }
          }
        if (!isMax) {
          const float inv = 1.f / (float)((y1 - y0) * (x1 - x0));
          for (int c = 0; c < C; c++) out[c] *= inv;
        }
      }
    }
  }
}

void maxPoolBackward(int32_t batch, int64_t inSize, int64_t outSize, const int32_t* __restrict arg, const float* __restrict dy, float* __restrict dx,
                     bool acc) {
  if (!acc) std::memset(dx, 0, sizeof(float) * (size_t)(batch * inSize));
  for (int32_t b = 0; b < batch; b++) {
    float* img = dx + (int64_t)b * inSize;
    const int64_t base = (int64_t)b * outSize;
    for (int64_t k = 0; k < outSize; k++) img[arg[base + k]] += dy[base + k];
  }
}

void avgPoolBackward(const ConvGeom& g, const float* __restrict dy, float* __restrict dx, bool acc) {
  if (!acc) std::memset(dx, 0, sizeof(float) * (size_t)g.batch * g.inH * g.inW * g.inC);
  for (int b = 0; b < g.batch; b++) {
    float* img = dx + (int64_t)b * g.inH * g.inW * g.inC;
    for (int oy = 0; oy < g.outH; oy++) {
      for (int ox = 0; ox < g.outW; ox++) {
        const float* d = dy + (((int64_t)b * g.outH + oy) * g.outW + ox) * g.outC;
        const int y0 = std::max(0, oy * g.strideH - g.padTop), y1 = std::min(g.inH, oy * g.strideH - g.padTop + g.kH);
        const int x0 = std::max(0, ox * g.strideW - g.padLeft), x1 = std::min(g.inW, ox * g.strideW - g.padLeft + g.kW);
        const int count = (y1 - y0) * (x1 - x0);
        if (count <= 0) continue;
        const float inv = 1.f / (float)count;
        for (int iy = y0; iy < y1; iy++)
          for (int ix = x0; ix < x1; ix++) {
            float* t = img + ((int64_t)iy * g.inW + ix) * g.inC;
            for (int c = 0; c < g.inC; c++) t[c] += d[c] * inv;
          }
      }
    }
  }
}

void globalPoolForward(int32_t batch, int64_t pixels, int32_t c, bool isMax, const float* __restrict x, float* __restrict y, int32_t* __restrict arg) {
  for (int32_t b = 0; b < batch; b++) {
    const float* img = x + (int64_t)b * pixels * c;
    float* out = y + (int64_t)b * c;
    std::memcpy(out, img, sizeof(float) * c);
    if (isMax) {
      int32_t* am = arg + (int64_t)b * c;
      for (int32_t k = 0; k < c; k++) am[k] = k;
      for (int64_t p = 1; p < pixels; p++)
        for (int32_t k = 0; k < c; k++)
          if (img[p * c + k] > out[k]) { out[k] = img[p * c + k]; am[k] = (int32_t)(p * c + k); }
    } else {
      for (int64_t p = 1; p < pixels; p++)
        for (int32_t k = 0; k < c; k++) out[k] += img[p * c + k];
      const float inv = 1.f / (float)pixels;
      for (int32_t k = 0; k < c; k++) out[k] *= inv;
    }
  }
}

void globalAvgBackward(int32_t batch, int64_t pixels, int32_t c, const float* __restrict dy, float* __restrict dx, bool acc) {
  const float inv = 1.f / (float)pixels;
  for (int32_t b = 0; b < batch; b++)
    for (int64_t p = 0; p < pixels; p++) {
      float* d = dx + ((int64_t)b * pixels + p) * c;
      const float* g = dy + (int64_t)b * c;
      if (acc) for (int32_t k = 0; k < c; k++) d[k] += g[k] * inv;
      else for (int32_t k = 0; k < c; k++) d[k] = g[k] * inv;
    }
}

// Per-channel sums over rows, in float over blocks of kStatRows rows (they vectorise) and in double
// across blocks, in a fixed order, so a rerun gives the same bits. The values are taken relative
// to the first row's (the shifted-data algorithm, Chan, Golub & LeVeque 1983): one pass gives the
// mean and the variance without the cancellation of E[x^2] - E[x]^2 when the mean is large.
constexpr int64_t kStatRows = 64;

void batchNormTrainForward(int64_t rows, int32_t c, const float* __restrict x, const float* __restrict gamma, const float* __restrict beta, float eps,
                           float* __restrict y, float* __restrict mean, float* __restrict variance, float* __restrict invStd, bool relu) {
  std::vector<double> s(c, 0.0), s2(c, 0.0);
  std::vector<float> ps(c), ps2(c);
  const float* shift = x;
  for (int64_t r0 = 0; r0 < rows; r0 += kStatRows) {
    const int64_t r1 = std::min(rows, r0 + kStatRows);
    std::fill(ps.begin(), ps.end(), 0.f);
    std::fill(ps2.begin(), ps2.end(), 0.f);
    float* __restrict a = ps.data();
    float* __restrict a2 = ps2.data();
    for (int64_t r = r0; r < r1; r++)
      for (int32_t k = 0; k < c; k++) {
        const float d = x[r * c + k] - shift[k];
        a[k] += d;
        a2[k] += d * d;
      }
    for (int32_t k = 0; k < c; k++) {
      s[k] += a[k];
      s2[k] += a2[k];
    }
  }
  std::vector<float> scale(c), offset(c);
  for (int32_t k = 0; k < c; k++) {
    const double m = s[k] / (double)rows;
    mean[k] = (float)(m + shift[k]);
    variance[k] = (float)std::max(0.0, s2[k] / (double)rows - m * m);
    invStd[k] = (float)(1.0 / std::sqrt((double)variance[k] + eps));
    scale[k] = gamma[k] * invStd[k];
    offset[k] = beta[k] - mean[k] * scale[k];
  }
  const float* __restrict sc = scale.data();
  const float* __restrict of = offset.data();
  if (relu) {
    for (int64_t r = 0; r < rows; r++)
      for (int32_t k = 0; k < c; k++) y[r * c + k] = std::max(0.f, x[r * c + k] * sc[k] + of[k]);
  } else {
    for (int64_t r = 0; r < rows; r++)
      for (int32_t k = 0; k < c; k++) y[r * c + k] = x[r * c + k] * sc[k] + of[k];
  }
}

void batchNormInferForward(int64_t rows, int32_t c, const float* __restrict x, const float* __restrict gamma, const float* __restrict beta,
                           const float* __restrict runMean, const float* __restrict runVar, float eps, float* __restrict y, bool relu) {
  std::vector<float> scale(c), shift(c);
  for (int32_t k = 0; k < c; k++) {
    scale[k] = gamma[k] / std::sqrt(runVar[k] + eps);
    shift[k] = beta[k] - runMean[k] * scale[k];
  }
  affineForward(rows, c, x, scale.data(), shift.data(), y);
  if (relu) addBias(y, nullptr, rows, c, true);
}

// With xhat = (x - mean) invStd and N rows: dbeta = sum dy, dgamma = sum dy xhat,
// dx = gamma invStd (dy - dbeta / N - xhat dgamma / N).
void batchNormBackward(int64_t rows, int32_t c, const float* __restrict x, const float* __restrict dy, const float* __restrict gamma,
                       const float* __restrict mean, const float* __restrict invStd, float* __restrict dgamma, float* __restrict dbeta,
                       float* __restrict dx, bool acc, const float* __restrict reluOut) {
  // A fused relu's gradient, taken as dy is read: dy where the relu's output is positive, else 0.
  const auto grad = [&](int64_t i) { return reluOut && !(reluOut[i] > 0.f) ? 0.f : dy[i]; };
  std::vector<double> sdy(c, 0.0), sdyx(c, 0.0);
  std::vector<float> pd(c), pdx(c);
  for (int64_t r0 = 0; r0 < rows; r0 += kStatRows) {
    const int64_t r1 = std::min(rows, r0 + kStatRows);
    std::fill(pd.begin(), pd.end(), 0.f);
    std::fill(pdx.begin(), pdx.end(), 0.f);
    float* __restrict a = pd.data();
    float* __restrict ax = pdx.data();
    for (int64_t r = r0; r < r1; r++)
      for (int32_t k = 0; k < c; k++) {
        const float d = grad(r * c + k);
        a[k] += d;
        ax[k] += d * (x[r * c + k] - mean[k]);
      }
    for (int32_t k = 0; k < c; k++) {
      sdy[k] += a[k];
      sdyx[k] += ax[k];
    }
  }
  std::vector<float> k1(c), k2(c), k3(c);
  for (int32_t k = 0; k < c; k++) {
    dbeta[k] = (float)sdy[k];
    dgamma[k] = (float)(sdyx[k] * invStd[k]);
    // dx = k1 dy + k2 + k3 x
    const double a = (double)gamma[k] * invStd[k];
    const double m = sdy[k] / (double)rows;
    const double v = sdyx[k] * invStd[k] * invStd[k] / (double)rows;
    k1[k] = (float)a;
    k3[k] = (float)(-a * v);
    k2[k] = (float)(a * (v * mean[k] - m));
  }
  if (!dx) return;
  const float* __restrict f1 = k1.data();
  const float* __restrict f2 = k2.data();
  const float* __restrict f3 = k3.data();
  if (acc) {
    for (int64_t r = 0; r < rows; r++)
      for (int32_t k = 0; k < c; k++) dx[r * c + k] += f1[k] * grad(r * c + k) + f2[k] + f3[k] * x[r * c + k];
  } else {
    for (int64_t r = 0; r < rows; r++)
      for (int32_t k = 0; k < c; k++) dx[r * c + k] = f1[k] * grad(r * c + k) + f2[k] + f3[k] * x[r * c + k];
  }
}

void depthwiseForward(const ConvGeom& g, const float* __restrict x, const float* __restrict w, float* __restrict y) {
  const int C = g.inC;
  for (int b = 0; b < g.batch; b++) {
    const float* img = x + (int64_t)b * g.inH * g.inW * C;
    for (int oy = 0; oy < g.outH; oy++)
      for (int ox = 0; ox < g.outW; ox++) {
        float* out = y + (((int64_t)b * g.outH + oy) * g.outW + ox) * C;
        std::memset(out, 0, sizeof(float) * C);
        for (int ky = 0; ky < g.kH; ky++) {
          const int iy = oy * g.strideH - g.padTop + ky * g.dilH;
          if (iy < 0 || iy >= g.inH) continue;
          for (int kx = 0; kx < g.kW; kx++) {
            const int ix = ox * g.strideW - g.padLeft + kx * g.dilW;
            if (ix < 0 || ix >= g.inW) continue;
            const float* v = img + ((int64_t)iy * g.inW + ix) * C;
            const float* k = w + ((int64_t)ky * g.kW + kx) * C;
            for (int c = 0; c < C; c++) out[c] += v[c] * k[c];
          }
        }
      }
  }
}

void depthwiseBackpropInput(const ConvGeom& g, const float* __restrict dy, const float* __restrict w, float* __restrict dx, bool acc) {
  const int C = g.inC;
  if (!acc) std::memset(dx, 0, sizeof(float) * (size_t)g.batch * g.inH * g.inW * C);
  for (int b = 0; b < g.batch; b++) {
    float* img = dx + (int64_t)b * g.inH * g.inW * C;
    for (int oy = 0; oy < g.outH; oy++)
      for (int ox = 0; ox < g.outW; ox++) {
        const float* d = dy + (((int64_t)b * g.outH + oy) * g.outW + ox) * C;
        for (int ky = 0; ky < g.kH; ky++) {
          const int iy = oy * g.strideH - g.padTop + ky * g.dilH;
          if (iy < 0 || iy >= g.inH) continue;
          for (int kx = 0; kx < g.kW; kx++) {
            const int ix = ox * g.strideW - g.padLeft + kx * g.dilW;
            if (ix < 0 || ix >= g.inW) continue;
            float* t = img + ((int64_t)iy * g.inW + ix) * C;
            const float* k = w + ((int64_t)ky * g.kW + kx) * C;
            for (int c = 0; c < C; c++) t[c] += d[c] * k[c];
          }
        }
      }
  }
}

void depthwiseBackpropFilter(const ConvGeom& g, const float* __restrict x, const float* __restrict dy, float* __restrict dw) {
  const int C = g.inC;
  std::memset(dw, 0, sizeof(float) * (size_t)g.kH * g.kW * C);
  for (int b = 0; b < g.batch; b++) {
    const float* img = x + (int64_t)b * g.inH * g.inW * C;
    for (int oy = 0; oy < g.outH; oy++)
      for (int ox = 0; ox < g.outW; ox++) {
        const float* d = dy + (((int64_t)b * g.outH + oy) * g.outW + ox) * C;
        for (int ky = 0; ky < g.kH; ky++) {
          const int iy = oy * g.strideH - g.padTop + ky * g.dilH;
          if (iy < 0 || iy >= g.inH) continue;
          for (int kx = 0; kx < g.kW; kx++) {
            const int ix = ox * g.strideW - g.padLeft + kx * g.dilW;
            if (ix < 0 || ix >= g.inW) continue;
            const float* v = img + ((int64_t)iy * g.inW + ix) * C;
            float* k = dw + ((int64_t)ky * g.kW + kx) * C;
            for (int c = 0; c < C; c++) k[c] += v[c] * d[c];
          }
        }
      }
  }
}

void copyOrAdd(int64_t n, const float* __restrict src, float* __restrict dst, bool acc) {
  if (!acc) {
    std::memcpy(dst, src, sizeof(float) * (size_t)n);
    return;
  }
  for (int64_t k = 0; k < n; k++) dst[k] += src[k];
}

void channelsInto(int64_t rows, int32_t c, int32_t outC, int32_t at, const float* __restrict x, float* __restrict y) {
  for (int64_t r = 0; r < rows; r++) std::memcpy(y + r * outC + at, x + r * c, sizeof(float) * c);
}

void channelsFrom(int64_t rows, int32_t c, int32_t outC, int32_t at, const float* __restrict dy, float* __restrict dx, bool acc) {
  for (int64_t r = 0; r < rows; r++) copyOrAdd(c, dy + r * outC + at, dx + r * c, acc);
}

void zeroPadForward(const ConvGeom& g, int32_t before, const float* __restrict x, float* __restrict y) {
  std::memset(y, 0, sizeof(float) * (size_t)g.batch * g.outH * g.outW * g.outC);
  for (int b = 0; b < g.batch; b++)
    for (int iy = 0; iy < g.inH; iy++)
      for (int ix = 0; ix < g.inW; ix++) {
        const float* src = x + (((int64_t)b * g.inH + iy) * g.inW + ix) * g.inC;
        float* dst = y + (((int64_t)b * g.outH + iy + g.padTop) * g.outW + ix + g.padLeft) * g.outC + before;
        std::memcpy(dst, src, sizeof(float) * g.inC);
      }
}

void zeroPadBackward(const ConvGeom& g, int32_t before, const float* __restrict dy, float* __restrict dx, bool acc) {
  for (int b = 0; b < g.batch; b++)
    for (int iy = 0; iy < g.inH; iy++)
      for (int ix = 0; ix < g.inW; ix++) {
        float* dst = dx + (((int64_t)b * g.inH + iy) * g.inW + ix) * g.inC;
        const float* src = dy + (((int64_t)b * g.outH + iy + g.padTop) * g.outW + ix + g.padLeft) * g.outC + before;
        copyOrAdd(g.inC, src, dst, acc);
      }
}

void addBias(float* __restrict y, const float* __restrict b, int64_t rows, int32_t cols, bool relu) {
  for (int64_t r = 0; r < rows; r++) {
    float* row = y + r * cols;
    if (relu) {
      if (b) for (int32_t c = 0; c < cols; c++) row[c] = std::max(row[c] + b[c], 0.f);
      else for (int32_t c = 0; c < cols; c++) row[c] = std::max(row[c], 0.f);
    } else if (b) {
      for (int32_t c = 0; c < cols; c++) row[c] += b[c];
    }
  }
}

void biasGrad(const float* __restrict dy, int64_t rows, int32_t cols, float* __restrict db) {
  std::memset(db, 0, sizeof(float) * cols);
  for (int64_t r = 0; r < rows; r++) {
    const float* row = dy + r * cols;
    for (int32_t c = 0; c < cols; c++) db[c] += row[c];
  }
}

void reluGradInPlace(int64_t n, const float* __restrict y, float* __restrict dy) {
  for (int64_t k = 0; k < n; k++) dy[k] = y[k] > 0.f ? dy[k] : 0.f;
}

}  // namespace prunelab
