#include "program.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

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

// d activation / d x, from the input x and output y, as tfjs' gradients define it
// (relu: step(x), 1 for x > 0; relu6: 1 for 0 < x <= 6).
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

void addBias(float* y, const float* b, int64_t rows, int32_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    float* row = y + r * cols;
    for (int32_t c = 0; c < cols; c++) row[c] += b[c];
  }
}

void biasGrad(const float* dy, int64_t rows, int32_t cols, float* db) {
  std::memset(db, 0, sizeof(float) * cols);
  for (int64_t r = 0; r < rows; r++) {
    const float* row = dy + r * cols;
    for (int32_t c = 0; c < cols; c++) db[c] += row[c];
  }
}

// Max or average pooling over a window (tfjs semantics: 'same' pads, the average counts in-bounds values only).
void pool(const ConvGeom& g, bool isMax, const float* x, float* y, int32_t* arg) {
  for (int b = 0; b < g.batch; b++) {
    const float* img = x + (int64_t)b * g.inH * g.inW * g.inC;
    for (int oy = 0; oy < g.outH; oy++) {
      for (int ox = 0; ox < g.outW; ox++) {
        float* out = y + (((int64_t)b * g.outH + oy) * g.outW + ox) * g.outC;
        int32_t* am = arg ? arg + (((int64_t)b * g.outH + oy) * g.outW + ox) * g.outC : nullptr;
        for (int c = 0; c < g.inC; c++) {
          float best = -std::numeric_limits<float>::infinity(), sum = 0.f;
          int32_t where = -1, count = 0;
          for (int ky = 0; ky < g.kH; ky++) {
            const int iy = oy * g.strideH - g.padTop + ky;
            if (iy < 0 || iy >= g.inH) continue;
            for (int kx = 0; kx < g.kW; kx++) {
              const int ix = ox * g.strideW - g.padLeft + kx;
              if (ix < 0 || ix >= g.inW) continue;
              const int32_t at = (iy * g.inW + ix) * g.inC + c;
              const float v = img[at];
              if (isMax) {
                if (v > best || where < 0) { best = v; where = at; }
              } else {
                sum += v;
                count++;
              }
            }
          }
          if (isMax) {
            out[c] = best;
            am[c] = where;
          } else {
            out[c] = count > 0 ? sum / (float)count : 0.f;
          }
        }
      }
    }
  }
}

void avgPoolGrad(const ConvGeom& g, const float* dy, float* dx) {
  std::memset(dx, 0, sizeof(float) * (size_t)g.batch * g.inH * g.inW * g.inC);
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

void runForward(Program& p, int32_t n, float* const* params) {
  for (size_t i = 0; i < p.ops.size(); i++) {
    Op& op = p.ops[i];
    const float* x = p.acts[op.in].data();
    float* y = p.acts[op.out].data();
    ConvGeom g = op.g;
    g.batch = n;
    switch (op.kind) {
      case kDense:
        gemm(false, false, n, g.outC, g.inC, 1.f, x, g.inC, params[2 * op.param], g.outC, 0.f, y, g.outC);
        addBias(y, params[2 * op.param + 1], n, g.outC);
        break;
      case kConv:
        conv2d(g, x, params[2 * op.param], y);
        addBias(y, params[2 * op.param + 1], (int64_t)n * g.outH * g.outW, g.outC);
        break;
      case kAct: {
        const int64_t len = (int64_t)n * op.outSize;
        if (op.act == kRelu) {
          for (int64_t k = 0; k < len; k++) y[k] = x[k] > 0.f ? x[k] : 0.f;
        } else {
          for (int64_t k = 0; k < len; k++) y[k] = activate(op.act, x[k]);
        }
        break;
      }
      case kAffine: {
        const float* scale = p.constants.data() + op.affineOffset;
        const float* offset = scale + g.outC;
        const int64_t rows = (int64_t)n * op.outSize / g.outC;
        for (int64_t r = 0; r < rows; r++)
          for (int c = 0; c < g.outC; c++) y[r * g.outC + c] = x[r * g.outC + c] * scale[c] + offset[c];
        break;
      }
      case kMaxPool:
        pool(g, true, x, y, p.argmax[i].data());
        break;
      case kAvgPool:
        pool(g, false, x, y, nullptr);
        break;
      case kGlobalAvg:
      case kGlobalMax: {
        const int64_t pix = (int64_t)g.inH * g.inW;
        int32_t* am = p.argmax[i].data();
        for (int b = 0; b < n; b++)
          for (int c = 0; c < g.inC; c++) {
            const float* img = x + (int64_t)b * pix * g.inC;
            if (op.kind == kGlobalAvg) {
              float s = 0.f;
              for (int64_t k = 0; k < pix; k++) s += img[k * g.inC + c];
              y[b * g.inC + c] = s / (float)pix;
            } else {
              float best = img[c];
              int32_t where = c;
              for (int64_t k = 1; k < pix; k++)
                if (img[k * g.inC + c] > best) { best = img[k * g.inC + c]; where = (int32_t)(k * g.inC + c); }
              y[b * g.inC + c] = best;
              am[b * g.inC + c] = where;
            }
          }
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace

const char* buildProgram(Program& p, const int32_t* h, const int32_t* ops, int64_t nOps, const float* constants, int64_t nConstants,
                         const int64_t* paramSizes, int64_t nParams, const OptimizerConfig& opt) {
  p.batch = h[0];
  p.classes = h[1];
  const int32_t nBufs = h[3];
  if (p.batch <= 0 || p.classes <= 0 || nBufs <= 0) return "bad program header";
  p.bufSize.assign(nBufs, 0);
  p.bufSize[0] = h[2];
  p.constants.assign(constants, constants + nConstants);
  for (int64_t i = 0; i < nOps; i++) {
    const int32_t* r = ops + i * kOpInts;
    Op op{};
    op.kind = r[0]; op.in = r[1]; op.out = r[2]; op.param = r[3]; op.act = r[4]; op.needDx = r[5];
    op.g = {p.batch, r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15], r[16], r[17], 1, 1};
    op.affineOffset = r[18];
    if (op.in < 0 || op.in >= nBufs || op.out < 0 || op.out >= nBufs) return "op buffer out of range";
    if ((op.kind == kDense || op.kind == kConv) && (op.param < 0 || 2 * op.param + 1 >= nParams)) return "op parameter out of range";
    if (op.kind == kAffine && (op.affineOffset < 0 || op.affineOffset + 2 * (int64_t)op.g.outC > nConstants)) return "affine constants out of range";
    op.inSize = (int64_t)op.g.inH * op.g.inW * op.g.inC;
    op.outSize = (int64_t)op.g.outH * op.g.outW * op.g.outC;
    if (p.bufSize[op.in] != op.inSize) return "op input size does not match its buffer";
    p.bufSize[op.out] = op.outSize;
    p.ops.push_back(op);
  }
  if (p.bufSize[p.ops.empty() ? 0 : p.ops.back().out] != p.classes) return "the last op does not give one logit per class";
  p.acts.resize(nBufs);
  p.grads.resize(nBufs);
  for (int32_t b = 0; b < nBufs; b++) {
    p.acts[b].assign((size_t)(p.batch * p.bufSize[b]), 0.f);
    p.grads[b].assign((size_t)(p.batch * p.bufSize[b]), 0.f);
  }
  p.argmax.resize(p.ops.size());
  for (size_t i = 0; i < p.ops.size(); i++)
    if (p.ops[i].kind == kMaxPool || p.ops[i].kind == kGlobalMax) p.argmax[i].assign((size_t)(p.batch * p.ops[i].outSize), 0);
  p.paramSize.assign(paramSizes, paramSizes + nParams);
  p.pgrad.resize(nParams);
  p.s1.resize(nParams);
  p.s2.resize(nParams);
  for (int64_t i = 0; i < nParams; i++) {
    p.pgrad[i].assign((size_t)p.paramSize[i], 0.f);
    if (opt.kind != kSgd) p.s1[i].assign((size_t)p.paramSize[i], 0.f);
    if (opt.kind == kAdam) p.s2[i].assign((size_t)p.paramSize[i], 0.f);
  }
  p.opt = opt;
  p.accBeta1 = opt.beta1;
  p.accBeta2 = opt.beta2;
  return "";
}

void forward(Program& p, const float* x, int32_t n, float* const* params, float* out) {
  std::memcpy(p.acts[0].data(), x, sizeof(float) * (size_t)(n * p.bufSize[0]));
  runForward(p, n, params);
  std::memcpy(out, p.acts[p.ops.back().out].data(), sizeof(float) * (size_t)(n * p.classes));
}

double trainStep(Program& p, const float* x, const int32_t* labels, float* const* params, const float* const* masks, bool update, float lr) {
  const int32_t B = p.batch, C = p.classes;
  std::memcpy(p.acts[0].data(), x, sizeof(float) * (size_t)(B * p.bufSize[0]));
  runForward(p, B, params);

  // Softmax cross-entropy, mean over the batch; d loss / d logits = (softmax - onehot) / B.
  const int32_t last = p.ops.back().out;
  const float* logits = p.acts[last].data();
  float* dlogits = p.grads[last].data();
  double loss = 0;
  for (int32_t b = 0; b < B; b++) {
    const float* z = logits + (int64_t)b * C;
    float* d = dlogits + (int64_t)b * C;
    float mx = z[0];
    for (int32_t c = 1; c < C; c++) mx = std::max(mx, z[c]);
    double sum = 0;
    for (int32_t c = 0; c < C; c++) sum += std::exp((double)z[c] - mx);
    const double lse = mx + std::log(sum);
    const int32_t y = labels[b];
    loss -= (double)z[y] - lse;
    for (int32_t c = 0; c < C; c++) d[c] = (float)(std::exp((double)z[c] - lse) / B);
    d[y] -= 1.f / (float)B;
  }
  loss /= B;

  for (size_t i = p.ops.size(); i-- > 0;) {
    Op& op = p.ops[i];
    const ConvGeom& g = op.g;
    const float* xin = p.acts[op.in].data();
    const float* yout = p.acts[op.out].data();
    const float* dy = p.grads[op.out].data();
    float* dx = p.grads[op.in].data();
    switch (op.kind) {
      case kDense: {
        float* dW = p.pgrad[2 * op.param].data();
        biasGrad(dy, B, g.outC, p.pgrad[2 * op.param + 1].data());
        gemm(true, false, g.inC, g.outC, B, 1.f, xin, g.inC, dy, g.outC, 0.f, dW, g.outC);
        if (op.needDx) gemm(false, true, B, g.inC, g.outC, 1.f, dy, g.outC, params[2 * op.param], g.outC, 0.f, dx, g.inC);
        break;
      }
      case kConv:
        biasGrad(dy, (int64_t)B * g.outH * g.outW, g.outC, p.pgrad[2 * op.param + 1].data());
        conv2dBackpropFilter(g, xin, dy, p.pgrad[2 * op.param].data());
        if (op.needDx) conv2dBackpropInput(g, dy, params[2 * op.param], dx);
        break;
      case kAct: {
        if (!op.needDx) break;
        const int64_t len = (int64_t)B * op.outSize;
        if (op.act == kRelu) {
          for (int64_t k = 0; k < len; k++) dx[k] = xin[k] > 0.f ? dy[k] : 0.f;
        } else {
          for (int64_t k = 0; k < len; k++) dx[k] = dy[k] * derivative(op.act, xin[k], yout[k]);
        }
        break;
      }
      case kAffine: {
        if (!op.needDx) break;
        const float* scale = p.constants.data() + op.affineOffset;
        const int64_t rows = (int64_t)B * op.outSize / g.outC;
        for (int64_t r = 0; r < rows; r++)
          for (int c = 0; c < g.outC; c++) dx[r * g.outC + c] = dy[r * g.outC + c] * scale[c];
        break;
      }
      case kMaxPool:
      case kGlobalMax: {
        if (!op.needDx) break;
        std::memset(dx, 0, sizeof(float) * (size_t)(B * op.inSize));
        const int32_t* am = p.argmax[i].data();
        for (int32_t b = 0; b < B; b++) {
          float* img = dx + (int64_t)b * op.inSize;
          const int64_t base = (int64_t)b * op.outSize;
          for (int64_t k = 0; k < op.outSize; k++) img[am[base + k]] += dy[base + k];
        }
        break;
      }
      case kAvgPool:
        if (op.needDx) avgPoolGrad(g, dy, dx);
        break;
      case kGlobalAvg: {
        if (!op.needDx) break;
        const int64_t pix = (int64_t)g.inH * g.inW;
        const float inv = 1.f / (float)pix;
        for (int32_t b = 0; b < B; b++)
          for (int64_t k = 0; k < pix; k++)
            for (int c = 0; c < g.inC; c++) dx[((int64_t)b * pix + k) * g.inC + c] = dy[(int64_t)b * g.inC + c] * inv;
        break;
      }
      default:
        break;
    }
  }
  if (!update) return loss;

  // The optimizer step, fused with weight decay, gradient masking and mask re-application.
  const OptimizerConfig& o = p.opt;
  for (size_t k = 0; k < p.paramSize.size(); k++) {
    const float* mask = (k % 2 == 0) ? masks[k / 2] : nullptr;
    const int64_t n = p.paramSize[k];
    if (o.kind == kAdam) {
      adamStep(n, params[k], p.pgrad[k].data(), p.s1[k].data(), p.s2[k].data(), mask,
               {lr, o.beta1, o.beta2, o.epsilon, 1.f - p.accBeta1, 1.f - p.accBeta2, o.weightDecay});
    } else if (o.kind == kMomentum) {
      momentumStep(n, params[k], p.pgrad[k].data(), p.s1[k].data(), mask, lr, o.momentum, o.weightDecay);
    } else {
      sgdStep(n, params[k], p.pgrad[k].data(), mask, lr, o.weightDecay);
    }
  }
  p.accBeta1 *= o.beta1;
  p.accBeta2 *= o.beta2;
  p.steps++;
  return loss;
}

}  // namespace prunelab
