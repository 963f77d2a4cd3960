// The umbrella module: `import Diffuse` brings every layer of the library into scope.
//
//   DiffuseTensor      arrays, BLAS/LAPACK/FFTW, random streams, file formats
//   DiffuseNN          tape autodiff, layers, optimisers, checkpoints
//   DiffuseCore        processes, predictions, samplers, guidance, likelihoods, inversion
//   DiffuseTimeSeries  TSDiff: forecasting, refinement, synthesis, metrics
//   DiffuseSequences   DNA: FASTA and JASPAR readers, motif rewards, k-mer Markov models
//   DiffuseMotion      skeletons, HumanML3D features, BVH, the procedural motion benchmark
//   DiffuseTheory      closed forms, distances and theory checks
//   DiffusePlot        SVG charts

@_exported import DiffuseCore
@_exported import DiffuseNN
@_exported import DiffusePlot
@_exported import DiffuseTensor
@_exported import DiffuseTheory
@_exported import DiffuseTimeSeries
@_exported import DiffuseSequences
@_exported import DiffuseMotion
