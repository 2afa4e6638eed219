// The layers of a training program other than the BLAS ones (kernels.h):
// activations, pooling, batch normalisation, depthwise convolution, and the
// graph's data movement (add, concatenate, zero padding). Layout NHWC,
// row-major, as in tfjs; a "row" is one pixel's channels.
//
// Every backward function that writes an input's gradient takes `acc`: false
// overwrites dx, true adds into it. A buffer read by several ops gets the sum
// of their gradients: the first of its readers to run backward (the last in
// forward order) writes, the others add (program.cc decides which).
#pragma once
#include <cstdint>
#include "kernels.h"

namespace prunelab {

enum ActFn : int32_t { kLinear = 0, kRelu = 1, kRelu6 = 2, kElu = 3, kSelu = 4, kTanh = 5, kSigmoid = 6, kSoftplus = 7, kSoftsign = 8, kSoftmax = 9 };

// Elementwise activations (softmax: over each row of `cols` channels).
void activationForward(int32_t fn, int64_t rows, int32_t cols, const float* x, float* y);
// dx (+)= dy * f'(x), as tfjs' gradients define f' (relu: 1 for x > 0; relu6: 1 for 0 < x <= 6).
void activationBackward(int32_t fn, int64_t rows, int32_t cols, const float* x, const float* y, const float* dy, float* dx, bool acc);

// y = x * scale[c] + offset[c] (a batch norm folded with its running statistics).
void affineForward(int64_t rows, int32_t c, const float* x, const float* scale, const float* offset, float* y);
void affineBackward(int64_t rows, int32_t c, const float* scale, const float* dy, float* dx, bool acc);

// Max or average pooling over a window (tfjs' semantics: 'same' pads, the average counts in-bounds values only).
// arg (max pooling): the input offset within its example of each output's maximum.
void poolForward(const ConvGeom& g, bool isMax, const float* x, float* y, int32_t* arg);
void maxPoolBackward(int32_t batch, int64_t inSize, int64_t outSize, const int32_t* arg, const float* dy, float* dx, bool acc);
void avgPoolBackward(const ConvGeom& g, const float* dy, float* dx, bool acc);
// Mean or maximum over each example's pixels: [b, h, w, c] -> [b, c].
void globalPoolForward(int32_t batch, int64_t pixels, int32_t c, bool isMax, const float* x, float* y, int32_t* arg);
void globalAvgBackward(int32_t batch, int64_t pixels, int32_t c, const float* dy, float* dx, bool acc);

// Batch normalisation in training mode (Ioffe & Szegedy 2015): per channel, the mean and biased variance
// over all rows; y = gamma (x - mean) / sqrt(var + eps) + beta. Writes the batch's mean, variance and
// 1 / sqrt(var + eps) per channel (for the backward pass and the running statistics).
// relu: a relu fused after it (y = max(0, ...)).
void batchNormTrainForward(int64_t rows, int32_t c, const float* x, const float* gamma, const float* beta, float eps, float* y, float* mean,
                           float* variance, float* invStd, bool relu = false);
// Inference mode: the running statistics in place of the batch's.
void batchNormInferForward(int64_t rows, int32_t c, const float* x, const float* gamma, const float* beta, const float* runMean, const float* runVar,
                           float eps, float* y, bool relu = false);
// The exact gradient through the batch's mean and variance; dx may be null (nothing upstream trains).
// reluOut: the output of a relu fused after it (its gradient is applied to dy as it is read), or null.
void batchNormBackward(int64_t rows, int32_t c, const float* x, const float* dy, const float* gamma, const float* mean, const float* invStd,
                       float* dgamma, float* dbeta, float* dx, bool acc, const float* reluOut = nullptr);

// Depthwise convolution, channel multiplier 1: kernel [kH, kW, c] (outC == inC), no bias here.
void depthwiseForward(const ConvGeom& g, const float* x, const float* w, float* y);
void depthwiseBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx, bool acc);
void depthwiseBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw);

// dst = src (acc false) or dst += src.
void copyOrAdd(int64_t n, const float* src, float* dst, bool acc);
// Channel ranges: y[row, at .. at + c) = x[row, 0 .. c) for a [rows, c] input in a [rows, outC] output, and back.
void channelsInto(int64_t rows, int32_t c, int32_t outC, int32_t at, const float* x, float* y);
void channelsFrom(int64_t rows, int32_t c, int32_t outC, int32_t at, const float* dy, float* dx, bool acc);
// Zeros around [h, w, c]: padTop/padLeft rows and columns before (geometry), `before` channels before.
void zeroPadForward(const ConvGeom& g, int32_t before, const float* x, float* y);
void zeroPadBackward(const ConvGeom& g, int32_t before, const float* dy, float* dx, bool acc);

// Bias: y[row, c] += b[c] and, fused, relu; its gradient db[c] = sum over rows of dy[row, c].
void addBias(float* y, const float* b, int64_t rows, int32_t cols, bool relu);
void biasGrad(const float* dy, int64_t rows, int32_t cols, float* db);
// dz = dy * (y > 0) in place: the gradient of a relu fused into the layer before it.
void reluGradInPlace(int64_t n, const float* y, float* dy);

}  // namespace prunelab
