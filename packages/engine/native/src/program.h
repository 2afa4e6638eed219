// A training program: a chain of layers run forward and backward natively,
// one call per optimizer step (forward, softmax cross-entropy, backward,
// optimizer update with masks), so the per-op overhead of a JS tensor
// library does not bound small networks. Layout NHWC, row-major, like tfjs.
#pragma once
#include <cstdint>
#include <vector>
#include "kernels.h"

namespace prunelab {

enum OpKind : int32_t { kDense = 0, kConv = 1, kAct = 2, kAffine = 3, kMaxPool = 4, kAvgPool = 5, kGlobalAvg = 6, kGlobalMax = 7, kAlias = 8 };
enum ActFn : int32_t { kLinear = 0, kRelu = 1, kRelu6 = 2, kElu = 3, kSelu = 4, kTanh = 5, kSigmoid = 6, kSoftplus = 7, kSoftsign = 8 };
enum OptKind : int32_t { kSgd = 0, kMomentum = 1, kAdam = 2 };

// The fixed-width record one op is described by (Int32Array, see program.ts).
constexpr int kOpInts = 20;

struct Op {
  int32_t kind, in, out, param, act, needDx;
  ConvGeom g;            // conv and pool geometry; dense uses inC (in) and outC (out)
  int32_t affineOffset;  // into Program::constants: scale then offset, g.outC each
  int64_t inSize, outSize;  // values per example
};

struct OptimizerConfig {
  int32_t kind;
  float lr, beta1, beta2, epsilon, momentum, weightDecay;
};

struct Program {
  int32_t batch = 0, classes = 0;
  std::vector<Op> ops;
  std::vector<float> constants;
  std::vector<int64_t> bufSize;              // values per example of each activation buffer
  std::vector<std::vector<float>> acts, grads;
  std::vector<std::vector<int32_t>> argmax;  // per op (max pools)
  std::vector<int64_t> paramSize;            // kernel, bias, kernel, bias, ...
  std::vector<std::vector<float>> pgrad, s1, s2;
  OptimizerConfig opt{};
  float accBeta1 = 0, accBeta2 = 0;
  int64_t steps = 0;
};

// Builds a program from its encoded description; returns an error message or empty.
const char* buildProgram(Program& p, const int32_t* header, const int32_t* ops, int64_t nOps, const float* constants, int64_t nConstants,
                         const int64_t* paramSizes, int64_t nParams, const OptimizerConfig& opt);

// One optimizer step. params: 2 per param layer (kernel, bias); masks: one per param layer or null.
// lr is this step's learning rate (a schedule changes it from step to step; opt.lr is only the
// rate the program was built with). Returns the mean cross-entropy before the update. With
// update false, only fills the parameter gradients.
double trainStep(Program& p, const float* x, const int32_t* labels, float* const* params, const float* const* masks, bool update, float lr);

// Logits for a batch of `n` <= batch examples (forward only), written to out [n, classes].
void forward(Program& p, const float* x, int32_t n, float* const* params, float* out);

}  // namespace prunelab
