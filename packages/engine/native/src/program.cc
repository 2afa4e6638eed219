#include "program.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include "layers.h"

namespace prunelab {
namespace {

bool hasParams(const Op& op) { return op.kind == kDense || op.kind == kConv || op.kind == kDepthwise || op.kind == kBatchNorm; }

// Rows of channels in `n` examples of the op's output.
int64_t outRows(const Op& op, int32_t n) { return (int64_t)n * op.g.outH * op.g.outW; }

const char* checkOp(const Program& p, const Op& op, const std::vector<int32_t>& paramUses) {
  const ConvGeom& g = op.g;
  const int64_t nIn = (int64_t)op.in.size();
  const auto param = [&](int32_t k, int32_t kind, int64_t size) {
    return k >= 0 && k < (int32_t)p.paramSize.size() && p.paramKind[k] == kind && p.paramSize[k] == size && paramUses[k] == 0;
  };
  const auto sized = [&](int32_t b, int64_t size) { return p.bufSize[b] == size; };
  if (op.kind == kAdd || op.kind == kConcat) {
    if (nIn < 2) return "add and concatenate need two or more inputs";
  } else if (nIn != 1) {
    return "the op takes one input";
  }
  if (op.kind != kAdd && op.kind != kConcat && !sized(op.in[0], op.inSize)) return "op input size does not match its buffer";
  if ((op.kind == kDense || op.kind == kConv || op.kind == kDepthwise) && op.act != kLinear && op.act != kRelu) return "only relu fuses into a layer";
  // Batch norms and adds get a relu only from fuseRelus, after these checks.
  if (op.kind != kDense && op.kind != kConv && op.kind != kDepthwise && op.kind != kAct && op.act != kLinear) return "this op takes no activation";
  switch (op.kind) {
    case kDense:
      if (g.inH != 1 || g.inW != 1 || g.outH != 1 || g.outW != 1) return "dense takes a flat input";
      if (!param(op.p0, kTrainable, (int64_t)g.inC * g.outC)) return "dense kernel: bad parameter";
      if (op.p1 >= 0 && !param(op.p1, kTrainable, g.outC)) return "dense bias: bad parameter";
      return "";
    case kConv:
      if (!param(op.p0, kTrainable, (int64_t)g.kH * g.kW * g.inC * g.outC)) return "conv kernel: bad parameter";
      if (op.p1 >= 0 && !param(op.p1, kTrainable, g.outC)) return "conv bias: bad parameter";
      return "";
    case kDepthwise:
      if (g.outC != g.inC) return "depthwise convolution keeps the channels";
      if (!param(op.p0, kTrainable, (int64_t)g.kH * g.kW * g.inC)) return "depthwise kernel: bad parameter";
      if (op.p1 >= 0 && !param(op.p1, kTrainable, g.outC)) return "depthwise bias: bad parameter";
      return "";
    case kAct:
      if (op.inSize != op.outSize || op.act < kLinear || op.act > kSoftmax) return "bad activation";
      return "";
    case kAffine:
      if (op.inSize != op.outSize || op.extra < 0 || op.extra + 2 * (int64_t)g.outC > (int64_t)p.constants.size()) return "affine constants out of range";
      return "";
    case kMaxPool:
    case kAvgPool:
      if (g.inC != g.outC || g.kH < 1 || g.kW < 1 || g.strideH < 1 || g.strideW < 1) return "bad pooling geometry";
      // Every window must hold an input pixel.
      if (g.padTop >= g.kH || g.padLeft >= g.kW || (g.outH - 1) * g.strideH - g.padTop >= g.inH || (g.outW - 1) * g.strideW - g.padLeft >= g.inW)
        return "a pooling window lies outside its input";
      return "";
    case kGlobalAvg:
    case kGlobalMax:
      if (g.outH != 1 || g.outW != 1 || g.outC != g.inC) return "bad global pooling geometry";
      return "";
    case kBatchNorm:
      if (op.inSize != op.outSize) return "batch norm keeps its input's shape";
      if (!param(op.p0, kTrainable, g.outC) || !param(op.p1, kTrainable, g.outC)) return "batch norm gamma/beta: bad parameter";
      if (!param(op.s0, kState, g.outC) || !param(op.s1, kState, g.outC)) return "batch norm running statistics: bad parameter";
      if (op.extra < 0 || op.extra + 2 > (int64_t)p.constants.size()) return "batch norm constants out of range";
      return "";
    case kAdd:
      for (int32_t b : op.in)
        if (!sized(b, op.outSize)) return "add needs inputs of its output's size";
      return "";
    case kConcat: {
      const int64_t pix = (int64_t)g.outH * g.outW;
      int64_t sum = 0;
      for (int32_t b : op.in) {
        if (p.bufSize[b] % pix != 0) return "concatenate: an input has another spatial size";
        sum += p.bufSize[b];
      }
      if (sum != op.outSize) return "concatenate: the channels do not add up";
      return "";
    }
    case kZeroPad:
      if (g.padTop < 0 || g.padLeft < 0 || op.extra < 0 || g.inH + g.padTop > g.outH || g.inW + g.padLeft > g.outW || g.inC + op.extra > g.outC)
        return "zero padding: bad geometry";
      return "";
    default:
      return "unknown op kind";
  }
}

void runForward(Program& p, int32_t n, float* const* params, bool training) {
  for (Op& op : p.ops) {
    const float* x = p.acts[op.in[0]].data();
    float* y = p.acts[op.out].data();
    ConvGeom g = op.g;
    g.batch = n;
    const int64_t rows = outRows(op, n);
    const bool relu = op.act == kRelu;
    const float* bias = op.p1 >= 0 ? params[op.p1] : nullptr;
    switch (op.kind) {
      case kDense:
        gemm(false, false, n, g.outC, g.inC, 1.f, x, g.inC, params[op.p0], g.outC, 0.f, y, g.outC);
        addBias(y, bias, n, g.outC, relu);
        break;
      case kConv:
        // Training: the padded input stays for the filter gradient (when the direct kernels take both).
        conv2d(g, x, params[op.p0], y, training && convUsesDirect(g, 2) ? &op.padded : nullptr);
        addBias(y, bias, rows, g.outC, relu);
        break;
      case kDepthwise:
        depthwiseForward(g, x, params[op.p0], y);
        addBias(y, bias, rows, g.outC, relu);
        break;
      case kAct:
        activationForward(op.act, rows, g.outC, x, y);
        break;
      case kAffine:
        affineForward(rows, g.outC, x, p.constants.data() + op.extra, p.constants.data() + op.extra + g.outC, y);
        break;
      case kMaxPool:
      case kAvgPool:
        poolForward(g, op.kind == kMaxPool, x, y, op.argmax.data());
        break;
      case kGlobalAvg:
      case kGlobalMax:
        globalPoolForward(n, (int64_t)g.inH * g.inW, g.inC, op.kind == kGlobalMax, x, y, op.argmax.data());
        break;
      case kBatchNorm: {
        const float eps = p.constants[op.extra];
        float* s = op.stats.data();
        if (training) batchNormTrainForward(rows, g.outC, x, params[op.p0], params[op.p1], eps, y, s, s + g.outC, s + 2 * g.outC, relu);
        else batchNormInferForward(rows, g.outC, x, params[op.p0], params[op.p1], params[op.s0], params[op.s1], eps, y, relu);
        break;
      }
      case kAdd: {
        // Left to right, as tfjs-layers' Add.
        const int64_t len = (int64_t)n * op.outSize;
        const float* b = p.acts[op.in[1]].data();
        const bool two = op.in.size() == 2;
        if (relu && two) {
          for (int64_t k = 0; k < len; k++) y[k] = std::max(0.f, x[k] + b[k]);
        } else {
          for (int64_t k = 0; k < len; k++) y[k] = x[k] + b[k];
          for (size_t j = 2; j < op.in.size(); j++) copyOrAdd(len, p.acts[op.in[j]].data(), y, true);
          if (relu)
            for (int64_t k = 0; k < len; k++) y[k] = std::max(0.f, y[k]);
        }
        break;
      }
      case kConcat: {
        int32_t at = 0;
        for (int32_t b : op.in) {
          const int32_t c = (int32_t)(p.bufSize[b] / ((int64_t)g.outH * g.outW));
          channelsInto(rows, c, g.outC, at, p.acts[b].data(), y);
          at += c;
        }
        break;
      }
      case kZeroPad:
        zeroPadForward(g, op.extra, x, y);
        break;
      default:
        break;
    }
  }
}

void runBackward(Program& p, float* const* params) {
  const int32_t B = p.batch;
  for (size_t i = p.ops.size(); i-- > 0;) {
    Op& op = p.ops[i];
    if (p.grads[op.out].empty()) continue;  // nothing before it trains
    const ConvGeom& g = op.g;
    const float* x = p.acts[op.in[0]].data();
    const float* y = p.acts[op.out].data();
    float* dy = p.grads[op.out].data();
    float* dx = op.needDx[0] ? p.grads[op.in[0]].data() : nullptr;
    const bool acc = op.accDx[0] != 0;
    const int64_t rows = outRows(op, B);
    // A fused relu: its gradient in place (this op is the only reader of dy).
    // (A batch norm applies it as it reads dy.)
    if (op.kind != kAct && op.kind != kBatchNorm && op.act == kRelu) reluGradInPlace((int64_t)B * op.outSize, y, dy);
    switch (op.kind) {
      case kDense:
        if (op.p1 >= 0) biasGrad(dy, B, g.outC, p.pgrad[op.p1].data());
        gemm(true, false, g.inC, g.outC, B, 1.f, x, g.inC, dy, g.outC, 0.f, p.pgrad[op.p0].data(), g.outC);
        if (dx) gemm(false, true, B, g.inC, g.outC, 1.f, dy, g.outC, params[op.p0], g.outC, acc ? 1.f : 0.f, dx, g.inC);
        break;
      case kConv:
        if (op.p1 >= 0) biasGrad(dy, rows, g.outC, p.pgrad[op.p1].data());
        conv2dBackpropFilter(g, x, dy, p.pgrad[op.p0].data(), op.padded.empty() ? nullptr : op.padded.data());
        if (dx) conv2dBackpropInput(g, dy, params[op.p0], dx, acc);
        break;
      case kDepthwise:
        if (op.p1 >= 0) biasGrad(dy, rows, g.outC, p.pgrad[op.p1].data());
        depthwiseBackpropFilter(g, x, dy, p.pgrad[op.p0].data());
        if (dx) depthwiseBackpropInput(g, dy, params[op.p0], dx, acc);
        break;
      case kAct:
        if (dx) activationBackward(op.act, rows, g.outC, x, y, dy, dx, acc);
        break;
      case kAffine:
        if (dx) affineBackward(rows, g.outC, p.constants.data() + op.extra, dy, dx, acc);
        break;
      case kMaxPool:
      case kGlobalMax:
        if (dx) maxPoolBackward(B, op.inSize, op.outSize, op.argmax.data(), dy, dx, acc);
        break;
      case kAvgPool:
        if (dx) avgPoolBackward(g, dy, dx, acc);
        break;
      case kGlobalAvg:
        if (dx) globalAvgBackward(B, (int64_t)g.inH * g.inW, g.inC, dy, dx, acc);
        break;
      case kBatchNorm: {
        const float* s = op.stats.data();
        batchNormBackward(rows, g.outC, x, dy, params[op.p0], s, s + 2 * g.outC, p.pgrad[op.p0].data(), p.pgrad[op.p1].data(), dx, acc,
                          op.act == kRelu ? y : nullptr);
        break;
      }
      case kAdd:
        for (size_t j = 0; j < op.in.size(); j++)
          if (op.needDx[j]) copyOrAdd((int64_t)B * op.outSize, dy, p.grads[op.in[j]].data(), op.accDx[j] != 0);
        break;
      case kConcat: {
        int32_t at = 0;
        for (size_t j = 0; j < op.in.size(); j++) {
          const int32_t c = (int32_t)(p.bufSize[op.in[j]] / ((int64_t)g.outH * g.outW));
          if (op.needDx[j]) channelsFrom(rows, c, g.outC, at, dy, p.grads[op.in[j]].data(), op.accDx[j] != 0);
          at += c;
        }
        break;
      }
      case kZeroPad:
        if (dx) zeroPadBackward(g, op.extra, dy, dx, acc);
        break;
      default:
        break;
    }
  }
}

// Softmax cross-entropy, mean over the batch; writes d loss / d logits = (softmax - onehot) / B.
double softmaxCrossEntropy(Program& p, const int32_t* labels) {
  const int32_t B = p.batch, C = p.classes;
  const float* logits = p.acts[p.output].data();
  float* dlogits = p.grads[p.output].data();
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
  return loss / B;
}

// A relu whose input is a batch norm's or an add's output, read by nothing else, runs inside that op
// (its forward loop clamps, its backward masks dy in place), as for dense and conv layers: one pass
// over the activations fewer each way. The intermediate buffer is dropped.
void fuseRelus(Program& p, std::vector<int32_t>& readers) {
  std::vector<int32_t> writer(p.bufSize.size(), -1);
  std::vector<Op> kept;
  kept.reserve(p.ops.size());
  for (Op& op : p.ops) {
    if (op.kind == kAct && op.act == kRelu) {
      const int32_t b = op.in[0];
      const int32_t w = writer[b];
      if (w >= 0 && readers[b] == 1 && b != p.output && (kept[w].kind == kBatchNorm || kept[w].kind == kAdd) && kept[w].act == kLinear) {
        kept[w].act = kRelu;
        kept[w].out = op.out;
        writer[op.out] = w;
        readers[b] = 0;
        p.bufSize[b] = 0;  // never allocated
        continue;
      }
    }
    writer[op.out] = (int32_t)kept.size();
    kept.push_back(std::move(op));
  }
  p.ops = std::move(kept);
}

}  // namespace

const char* buildProgram(Program& p, const int32_t* h, const int32_t* ops, int64_t nOps, const int32_t* inputs, int64_t nInputs,
                         const float* constants, int64_t nConstants, const int64_t* paramSizes, const int32_t* paramKinds, int64_t nParams,
                         const OptimizerConfig& opt) {
  p.batch = h[0];
  p.classes = h[1];
  const int32_t nBufs = h[3];
  p.output = h[4];
  if (p.batch <= 0 || p.classes <= 0 || h[2] <= 0 || nBufs <= 0 || p.output < 0 || p.output >= nBufs) return "bad program header";
  p.bufSize.assign(nBufs, -1);
  p.bufSize[0] = h[2];
  p.constants.assign(constants, constants + nConstants);
  p.paramSize.assign(paramSizes, paramSizes + nParams);
  p.paramKind.assign(paramKinds, paramKinds + nParams);
  for (int64_t k = 0; k < nParams; k++)
    if (p.paramSize[k] <= 0 || (p.paramKind[k] != kTrainable && p.paramKind[k] != kState)) return "bad parameter size or kind";
  std::vector<int32_t> paramUses(nParams, 0), readers(nBufs, 0);
  for (int64_t i = 0; i < nOps; i++) {
    const int32_t* r = ops + i * kOpInts;
    Op op{};
    op.kind = r[0]; op.out = r[1];
    op.p0 = r[4]; op.p1 = r[5]; op.s0 = r[6]; op.s1 = r[7]; op.act = r[8]; op.extra = r[9];
    op.g = {p.batch, r[10], r[11], r[12], r[13], r[14], r[15], r[16], r[17], r[18], r[19], r[20], r[21], 1, 1};
    if (r[2] < 0 || r[3] < 1 || (int64_t)r[2] + r[3] > nInputs) return "op inputs out of range";
    op.in.assign(inputs + r[2], inputs + r[2] + r[3]);
    if (op.out <= 0 || op.out >= nBufs || p.bufSize[op.out] >= 0) return "an op writes a buffer that is not new";
    for (int32_t b : op.in)
      if (b < 0 || b >= nBufs || p.bufSize[b] < 0) return "an op reads a buffer no earlier op wrote";
    const ConvGeom& g = op.g;
    if (g.inH <= 0 || g.inW <= 0 || g.inC <= 0 || g.outH <= 0 || g.outW <= 0 || g.outC <= 0) return "an op has an empty shape";
    op.inSize = (int64_t)g.inH * g.inW * g.inC;
    op.outSize = (int64_t)g.outH * g.outW * g.outC;
    const char* err = checkOp(p, op, paramUses);
    if (err[0] != 0) return err;
    for (int32_t k : {op.p0, op.p1, op.s0, op.s1})
      if (k >= 0) paramUses[k]++;
    for (int32_t b : op.in) readers[b]++;
    p.bufSize[op.out] = op.outSize;
    p.ops.push_back(std::move(op));
  }
  if (p.bufSize[p.output] != p.classes) return "the output buffer does not hold one logit per class";
  for (int32_t b = 0; b < nBufs; b++)
    if (p.bufSize[b] < 0 || (b != p.output && readers[b] == 0)) return "a buffer is never written or never read";
  for (int64_t k = 0; k < nParams; k++)
    if (paramUses[k] != 1) return "a parameter is not used by exactly one op";

  fuseRelus(p, readers);

  // A buffer needs a gradient when a trainable parameter lies before it. Backward, the first reader
  // of a buffer to run (the last in forward order) writes its gradient and the others add to it.
  std::vector<uint8_t> needGrad(nBufs, 0), written(nBufs, 0);
  for (Op& op : p.ops) {
    bool need = hasParams(op);
    for (int32_t b : op.in) {
      op.needDx.push_back(needGrad[b]);
      need = need || needGrad[b];
    }
    needGrad[op.out] = need;
  }
  for (size_t i = p.ops.size(); i-- > 0;) {
    Op& op = p.ops[i];
    op.accDx.assign(op.in.size(), 0);
    if (!needGrad[op.out]) std::fill(op.needDx.begin(), op.needDx.end(), 0);
    for (size_t j = 0; j < op.in.size(); j++) {
      if (!op.needDx[j]) continue;
      op.accDx[j] = written[op.in[j]];
      written[op.in[j]] = 1;
    }
  }
  p.acts.resize(nBufs);
  p.grads.resize(nBufs);
  for (int32_t b = 0; b < nBufs; b++) {
    p.acts[b].assign((size_t)(p.batch * p.bufSize[b]), 0.f);
    if (needGrad[b] || b == p.output) p.grads[b].assign((size_t)(p.batch * p.bufSize[b]), 0.f);
  }
  for (Op& op : p.ops) {
    if (op.kind == kMaxPool || op.kind == kGlobalMax) op.argmax.assign((size_t)(p.batch * op.outSize), 0);
    if (op.kind == kBatchNorm) op.stats.assign(3 * (size_t)op.g.outC, 0.f);
  }
  p.pgrad.resize(nParams);
  p.s1.resize(nParams);
  p.s2.resize(nParams);
  for (int64_t i = 0; i < nParams; i++) {
    if (p.paramKind[i] != kTrainable) continue;
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
  runForward(p, n, params, false);
  std::memcpy(out, p.acts[p.output].data(), sizeof(float) * (size_t)(n * p.classes));
}

double trainStep(Program& p, const float* x, const int32_t* labels, float* const* params, const float* const* masks, bool update, float lr) {
  std::memcpy(p.acts[0].data(), x, sizeof(float) * (size_t)(p.batch * p.bufSize[0]));
  runForward(p, p.batch, params, true);
  const double loss = softmaxCrossEntropy(p, labels);
  runBackward(p, params);
  if (!update) return loss;

  // The optimizer step, fused with weight decay, gradient masking and mask re-application.
  const OptimizerConfig& o = p.opt;
  for (size_t k = 0; k < p.paramSize.size(); k++) {
    if (p.paramKind[k] != kTrainable) continue;
    const float* mask = masks[k];
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
  // Batch norms' running statistics move towards the batch's (tfjs-layers' update; constants: epsilon, 1 - momentum):
  // running <- running - (running - batch) * (1 - momentum).
  for (const Op& op : p.ops) {
    if (op.kind != kBatchNorm) continue;
    const float decay = p.constants[op.extra + 1];
    const int32_t c = op.g.outC;
    float* mean = params[op.s0];
    float* var = params[op.s1];
    for (int32_t k = 0; k < c; k++) {
      mean[k] = mean[k] - (mean[k] - op.stats[k]) * decay;
      var[k] = var[k] - (var[k] - op.stats[c + k]) * decay;
    }
  }
  p.accBeta1 *= o.beta1;
  p.accBeta2 *= o.beta2;
  p.steps++;
  return loss;
}

}  // namespace prunelab
