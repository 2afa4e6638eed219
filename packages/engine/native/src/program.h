// A training program: a graph of layers run forward and backward natively,
// one call per optimizer step (forward, softmax cross-entropy, backward,
// optimizer update with masks, batch norms' running statistics), so the
// per-op overhead of a JS tensor library does not bound small networks.
// Layout NHWC, row-major, like tfjs.
//
// ## The encoding (built by ProgramBuilder, program.ts)
//
// Values live in numbered buffers, buffer 0 being the network's input; each op
// reads one or more buffers and writes a new one, and the ops are listed in
// topological order (an op reads only the input and earlier ops' outputs).
// header (Int32Array of 5): batch, classes, input values per example, buffer count, output buffer.
// inputs (Int32Array): the input buffers of every op, one after another.
// op record (kOpInts Int32s each):
//    0 kind (OpKind)       1 out buffer      2 first input (index into inputs)   3 input count
//    4 p0: kernel (dense, conv, depthwise) or gamma (batch norm), a parameter index or -1
//    5 p1: bias (-1: none) or beta          6 s0: running mean (batch norm)     7 s1: running variance
//    8 act: ActFn of an activation op; for dense, conv and depthwise 0 or kRelu, a relu fused after the bias
//    9 extra: affine: constants offset (scale then offset, outC each); batch norm: constants offset
//      (epsilon, momentum); zero padding: channels before
//   10..21 geometry: inH inW inC outH outW outC kH kW strideH strideW padTop padLeft
//      (dense: 1 1 in 1 1 units; add and concatenate: the output's h, w and channels in both places)
// constants (Float32Array): what affine and batch-norm ops point at.
// parameters: a size and a kind each: trainable (the optimizer updates it; it has a gradient) or
//   state (a batch norm's running statistics, written by its op after each step).
#pragma once
#include <cstdint>
#include <vector>
#include "kernels.h"

namespace prunelab {

enum OpKind : int32_t {
  kDense = 0, kConv = 1, kAct = 2, kAffine = 3, kMaxPool = 4, kAvgPool = 5, kGlobalAvg = 6, kGlobalMax = 7,
  kBatchNorm = 8, kAdd = 9, kConcat = 10, kDepthwise = 11, kZeroPad = 12,
};
enum ParamKind : int32_t { kTrainable = 0, kState = 1 };
enum OptKind : int32_t { kSgd = 0, kMomentum = 1, kAdam = 2 };

constexpr int kOpInts = 22;
constexpr int kHeaderInts = 5;

struct Op {
  int32_t kind, out, p0, p1, s0, s1, act, extra;
  std::vector<int32_t> in;
  // Per input: whether its gradient is wanted (something upstream trains), and whether this op adds
  // into it (another reader of the same buffer wrote it first, backward) instead of writing it.
  std::vector<uint8_t> needDx, accDx;
  ConvGeom g;               // conv and pool geometry; dense uses inC (in) and outC (out)
  int64_t inSize, outSize;  // values per example (inSize: the first input's)
  std::vector<int32_t> argmax;  // max pools: where each output's maximum came from
  std::vector<float> stats;     // batch norm: the batch's mean, variance and 1/sqrt(var + eps), outC each
  std::vector<float> padded;    // conv on the direct kernels: the step's zero-padded input, for the filter gradient
};

struct OptimizerConfig {
  int32_t kind;
  float lr, beta1, beta2, epsilon, momentum, weightDecay;
};

struct Program {
  int32_t batch = 0, classes = 0, output = 0;
  std::vector<Op> ops;
  std::vector<float> constants;
  std::vector<int64_t> bufSize;              // values per example of each buffer
  std::vector<std::vector<float>> acts, grads;
  std::vector<int64_t> paramSize;
  std::vector<int32_t> paramKind;
  std::vector<std::vector<float>> pgrad, s1, s2;  // per trainable parameter (empty for state)
  OptimizerConfig opt{};
  float accBeta1 = 0, accBeta2 = 0;
  int64_t steps = 0;
};

// Builds a program from its encoded description; returns an error message or empty.
const char* buildProgram(Program& p, const int32_t* header, const int32_t* ops, int64_t nOps, const int32_t* inputs, int64_t nInputs,
                         const float* constants, int64_t nConstants, const int64_t* paramSizes, const int32_t* paramKinds, int64_t nParams,
                         const OptimizerConfig& opt);

// One optimizer step. params: one array per parameter (state ones included); masks: one per parameter,
// each null (dense) or 0/1 of the parameter's size. lr is this step's learning rate (a schedule changes
// it from step to step; opt.lr is only the rate the program was built with). Batch norms normalise with
// the batch's statistics. Returns the mean cross-entropy before the update. With update false, only
// fills the trainable parameters' gradients and leaves every parameter, running statistics included, as it was.
double trainStep(Program& p, const float* x, const int32_t* labels, float* const* params, const float* const* masks, bool update, float lr);

// Logits for a batch of `n` <= batch examples (forward only, batch norms in inference mode), written to out [n, classes].
void forward(Program& p, const float* x, int32_t n, float* const* params, float* out);

}  // namespace prunelab
