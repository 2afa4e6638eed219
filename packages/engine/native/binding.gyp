{
  "targets": [{
    "target_name": "prunelab_native",
    "sources": ["src/addon.cc", "src/kernels.cc", "src/direct.cc", "src/layers.cc", "src/program.cc"],
    "cflags_cc": ["-O3", "-march=<!(node -p \"process.env.PRUNELAB_NATIVE_MARCH || 'native'\")", "-std=c++17", "-fno-exceptions", "-fno-math-errno"],
    "libraries": ["-lopenblas"],
    "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread"]
  }]
}
