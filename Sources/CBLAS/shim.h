// CBLAS from OpenBLAS (Debian: libopenblas-dev).
#ifndef DIFFUSE_CBLAS_SHIM_H
#define DIFFUSE_CBLAS_SHIM_H
#include <cblas.h>
#endif
