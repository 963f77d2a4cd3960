// LAPACKE (Debian: liblapacke-dev), linked against the system LAPACK (OpenBLAS's on Debian).
// Swift does not import C `_Complex`, so the complex element types are plain structs with the
// same layout (two reals, real part first), declared before lapacke.h sees them.
#ifndef DIFFUSE_LAPACKE_SHIM_H
#define DIFFUSE_LAPACKE_SHIM_H
#define LAPACK_COMPLEX_CUSTOM
typedef struct { float real; float imaginary; } lapack_complex_float;
typedef struct { double real; double imaginary; } lapack_complex_double;
#include <lapacke.h>
#endif
