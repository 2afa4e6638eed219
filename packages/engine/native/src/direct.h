// Direct convolution for NHWC: register-blocked loops over a zero-padded copy of the input, without
// im2col's patch matrix or the GEMM's packing copies (the approach of oneDNN's direct kernels,
// Georganas et al. 2018, "Anatomy of High-Performance Deep Learning Convolutions on SIMD
// Architectures"), with AVX-512 (16 channels per vector) or AVX2 + FMA (8). Channel counts that are
// not a multiple of the vector width end with a masked pass.
//
// Each function returns false, having written nothing, when the shape is not covered (neither
// instruction set at build time, dilation, negative padding); kernels.cc then uses im2col and
// GEMM. Sums run in a fixed order, so a rerun gives the same bits.
#pragma once
#include <string>
#include <vector>
#include "kernels.h"

namespace prunelab {

// keep: where to leave the zero-padded copy of x, for the filter gradient of the same step (null: scratch).
bool directConv2d(const ConvGeom& g, const float* x, const float* w, float* y, std::vector<float>* keep = nullptr);
bool directConv2dBackpropInput(const ConvGeom& g, const float* dy, const float* w, float* dx, bool acc);
// padded: the copy directConv2d kept for this x, or null to pad x again.
bool directConv2dBackpropFilter(const ConvGeom& g, const float* x, const float* dy, float* dw, const float* padded = nullptr);

// Which path each direction takes for this geometry: true where the direct kernel runs.
bool directCovers(const ConvGeom& g, int kind);  // kind: 0 forward, 1 input gradient, 2 filter gradient

// The instruction sets this build has direct kernels for, widest first ("avx512", "avx2"). The widest
// runs unless useDirectIsa chose another ("off": im2col and GEMM everywhere); it returns false, changing
// nothing, for a name this build lacks. The choice is process-wide: tests use it to check each set.
std::vector<const char*> directIsas();
const char* directIsa();
bool useDirectIsa(const std::string& name);

}  // namespace prunelab
