#pragma once
#include <cstdint>
#include <vector>

namespace prunelab {

// C = alpha * op(A) * op(B) + beta * C, row-major, one BLAS call.
void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc);

struct ConvGeom {
  int batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft, dilH, dilW;
};

// keep (training programs): where the direct kernel leaves its padded copy of x for conv2dBackpropFilter's `padded`.
void conv2d(const ConvGeom& g, const float* x, const float* w, float* y, std::vector<float>* keep = nullptr);
// acc: add into dx instead of overwriting it.
void conv2dBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx, bool acc = false);
void conv2dBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw, const float* padded = nullptr);
// Whether a direction (0 forward, 1 input gradient, 2 filter gradient) runs the direct kernels of
// direct.h for this geometry (else im2col and GEMM, or one GEMM for a pointwise convolution).
bool convUsesDirect(const ConvGeom& g, int kind);

struct AdamParams { float lr, beta1, beta2, epsilon, oneMinusAccBeta1, oneMinusAccBeta2, weightDecay; };
void adamStep(int64_t n, float* __restrict w, const float* __restrict g, float* __restrict m, float* __restrict v, const float* __restrict mask, const AdamParams& p);
void momentumStep(int64_t n, float* __restrict w, const float* __restrict g, float* __restrict acc, const float* __restrict mask, float lr, float momentum, float weightDecay);
void sgdStep(int64_t n, float* __restrict w, const float* __restrict g, const float* __restrict mask, float lr, float weightDecay);

void setThreads(int n);
const char* blasCore();
const char* blasConfig();
int getThreads();

}  // namespace prunelab
