// Direct convolution for NHWC with the output channels a multiple of the vector width (16 floats
// with AVX-512, 8 with AVX2): register-blocked loops over a zero-padded copy of the input, without
// im2col's patch matrix or the GEMM's packing copies (the approach of oneDNN's direct kernels,
// Georganas et al. 2018, "Anatomy of High-Performance Deep Learning Convolutions on SIMD
// Architectures").
//
// Each function returns false, having written nothing, when the shape is not covered (neither
// instruction set at build time, dilation, negative padding, output channels, or for the input
// gradient input channels, not a multiple of the vector width); kernels.cc then uses im2col and
// GEMM. Sums run in a fixed order for a given instruction set, so a rerun gives the same bits.
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
