// FFTW3 in double and single precision (Debian: libfftw3-dev).
#ifndef DIFFUSE_FFTW_SHIM_H
#define DIFFUSE_FFTW_SHIM_H
#include <fftw3.h>
#endif
