import ArgumentParser
import DiffuseTensor
import Foundation

/// `diffuse-bench blas`: matrix products, FFT and elementwise throughput.
struct BLASBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas",
        abstract: "sgemm/dgemm GFLOP/s, FFT throughput and elementwise bandwidth, with the BLAS kernel in use.")

    @Flag(name: .long, help: "Print the results as one JSON object.")
    var json = false

    @Option(name: .long, parsing: .upToNextOption, help: "Matrix sizes n for n×n·n×n products.")
    var sizes: [Int] = [256, 512, 1024]

    @Option(name: .long, parsing: .upToNextOption, help: "Thread counts to measure.")
    var threads: [Int] = [1, 2]

    @Flag(name: .long, inversion: .prefixedNo, help: "Also measure sgemm at the product shapes the networks use.")
    var networkShapes = true

    @Flag(name: .long, help: "Print the network product shapes as JSON and exit (for scripts/bench-peers).")
    var listShapes = false

    /// A product as a network layer makes it: rows `m` of `k` features times a weight of `n`
    /// outputs stored `[n, k]` (PyTorch's layout), i.e. A · Bᵀ.
    struct ProductShape: Codable {
        var name: String
        var m: Int
        var k: Int
        var n: Int
    }

    /// The products the project's networks spend their time in (the registry both this benchmark
    /// and `blas_numpy.py`, through `scripts/bench-peers`, measure): TSDiff's 1×1 convolutions
    /// (32 windows × 360 steps, hidden 64), train-mlp's hidden and input layers (batch 512, 32 +
    /// 128 inputs), EMDM's attention projections (a block of 16 sequences × 43 tokens, width 128),
    /// MDLM's kernel-9 convolution as one product (64 × 200 rows, 9 × 128 inputs) and a
    /// tall-skinny product.
    static let productShapes: [ProductShape] = [
        ProductShape(name: "tsdiff 1x1 convolution", m: 11_520, k: 64, n: 64),
        ProductShape(name: "train-mlp hidden layer", m: 512, k: 512, n: 512),
        ProductShape(name: "train-mlp input layer", m: 512, k: 160, n: 512),
        ProductShape(name: "emdm attention projections", m: 688, k: 128, n: 384),
        ProductShape(name: "mdlm convolution", m: 12_800, k: 1152, n: 128),
        ProductShape(name: "tall-skinny", m: 65_536, k: 32, n: 32),
    ]

    /// Reference figures measured on the project's Intel AVX-512 machine (2 cores, quiet):
    /// OpenBLAS SkylakeX sgemm at n = 512, and the per-core memory bandwidth of a plain loop.
    static let referenceSgemm: [Int: Double] = [1: 155, 2: 281]
    static let referenceBandwidthPerCore = 27.0

    struct GemmResult: Codable {
        var precision: String
        var n: Int
        var threads: Int
        var gflops: Double
        var ratioToReference: Double?
    }

    struct ShapeResult: Codable {
        var name: String
        var m: Int
        var k: Int
        var n: Int
        var threads: Int
        var gflops: Double
    }

    struct Report: Codable {
        var blas: BLASDiagnostics
        var gemm: [GemmResult]
        var shapes: [ShapeResult]
        var fft: FFTResult
        var elementwise: [ElementwiseResult]
    }

    struct FFTResult: Codable {
        var workload: String
        var secondsPerCall: Double
        var gflops: Double
    }

    struct ElementwiseResult: Codable {
        var workload: String
        var threads: Int
        var gigabytesPerSecond: Double
        var ratioToReference: Double
    }

    func validate() throws {
        for n in sizes { try checkRange("--sizes", n, 1...16_384) }
        for t in threads { try checkRange("--threads", t, 1...1024) }
        guard !sizes.isEmpty, !threads.isEmpty else { throw ValidationError("--sizes and --threads need at least one value") }
    }

    func run() throws {
        if listShapes {
            print(jsonText(["shapes": Self.productShapes]))
            return
        }
        let diagnostics = BLAS.diagnostics
        var gemm: [GemmResult] = []
        var shapes: [ShapeResult] = []
        for t in threads {
            BLAS.threadCount = t
            for n in sizes {
                let fs = measureGemm(Float.self, n: n)
                let fd = measureGemm(Double.self, n: n)
                gemm.append(GemmResult(precision: "sgemm", n: n, threads: t, gflops: fs,
                                       ratioToReference: Self.referenceSgemm[t].map { fs / $0 }))
                gemm.append(GemmResult(precision: "dgemm", n: n, threads: t, gflops: fd, ratioToReference: nil))
            }
            if networkShapes {
                for shape in Self.productShapes {
                    shapes.append(ShapeResult(name: shape.name, m: shape.m, k: shape.k, n: shape.n, threads: t, gflops: measureProduct(shape)))
                }
            }
        }
        BLAS.threadCount = ProcessInfo.processInfo.activeProcessorCount
        let fft = measureFFT()
        var elementwise: [ElementwiseResult] = []
        let savedThreads = Parallel.threadCount
        for t in threads {
            Parallel.threadCount = t
            let gbs = measureBandwidth()
            elementwise.append(ElementwiseResult(workload: "y = x·a + b, 2²⁴ Float", threads: t, gigabytesPerSecond: gbs,
                                                 ratioToReference: gbs / (Self.referenceBandwidthPerCore * Double(t))))
        }
        Parallel.threadCount = savedThreads
        let report = Report(blas: diagnostics, gemm: gemm, shapes: shapes, fft: fft, elementwise: elementwise)
        if json {
            print(jsonText(report))
            return
        }
        print("BLAS: \(diagnostics)")
        print("")
        print("Matrix products (n×n · n×n, median of 5)")
        print(pad("routine", 8) + pad("n", 6, right: true) + pad("threads", 9, right: true) + pad("GFLOP/s", 10, right: true) + "  ratio to reference")
        for g in gemm {
            let ratio = g.ratioToReference.map { "\(fixed($0, 2)) of \(fixed(Self.referenceSgemm[g.threads]!, 0)) GFLOP/s (SkylakeX reference)" } ?? "—"
            print(pad(g.precision, 8) + pad("\(g.n)", 6, right: true) + pad("\(g.threads)", 9, right: true)
                  + pad(fixed(g.gflops), 10, right: true) + "  " + ratio)
        }
        if !shapes.isEmpty {
            print("")
            print("sgemm at the networks' shapes (A [m, k] · Bᵀ with B [n, k], median of 5)")
            for g in shapes {
                print(pad("\(g.m) × \(g.k) · \(g.k) × \(g.n)", 28) + pad("\(g.threads)", 4, right: true) + pad(fixed(g.gflops), 10, right: true) + "  " + g.name)
            }
        }
        print("")
        print("FFT: \(fft.workload): \(fixed(fft.secondsPerCall * 1e3, 3)) ms per call, \(fixed(fft.gflops)) GFLOP/s (2.5·n·log₂n flops per real transform); no reference figure")
        for e in elementwise {
            print("Elementwise: \(e.workload), \(e.threads) thread(s): \(fixed(e.gigabytesPerSecond)) GB/s, "
                  + "\(fixed(e.ratioToReference, 2)) of \(fixed(Self.referenceBandwidthPerCore * Double(e.threads), 0)) GB/s reference")
        }
    }

    private func measureGemm<S: TensorScalar>(_: S.Type, n: Int) -> Double {
        let key = RandomKey(seed: 1)
        let a = Tensor<S>.randomNormal(shape: [n, n], key: key.folding(in: 1))
        let b = Tensor<S>.randomNormal(shape: [n, n], key: key.folding(in: 2))
        var c = Tensor<S>(zeros: [n, n])
        let seconds = secondsPerCall(minimumSeconds: 0.1) { matmul(a, b, into: &c) }
        return 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9
    }

    /// GFLOP/s of one network product in single precision, the weight read transposed as the
    /// linear layers read it.
    private func measureProduct(_ shape: ProductShape) -> Double {
        let key = RandomKey(seed: 2)
        let a = Tensor<Float>.randomNormal(shape: [shape.m, shape.k], key: key.folding(in: 1))
        let b = Tensor<Float>.randomNormal(shape: [shape.n, shape.k], key: key.folding(in: 2))
        var c = Tensor<Float>(zeros: [shape.m, shape.n])
        let seconds = secondsPerCall(minimumSeconds: 0.1) { matmul(a, b.transposed(), into: &c) }
        return 2 * Double(shape.m) * Double(shape.k) * Double(shape.n) / seconds / 1e9
    }

    private func measureFFT() -> FFTResult {
        let n = 4096, batch = 256
        let x = Tensor<Float>.randomNormal(shape: [batch, n], key: RandomKey(seed: 3))
        let seconds = secondsPerCall(minimumSeconds: 0.1) { _ = FFT.realForward(x) }
        // Real FFT: about 2.5 n log2 n flops per transform.
        let flops = 2.5 * Double(n) * log2(Double(n)) * Double(batch)
        return FFTResult(workload: "real forward FFT, \(batch) × \(n) Float", secondsPerCall: seconds, gflops: flops / seconds / 1e9)
    }

    private func measureBandwidth() -> Double {
        let x = Tensor<Float>.randomNormal(shape: [1 << 24], key: RandomKey(seed: 4))
        let seconds = secondsPerCall(minimumSeconds: 0.1) { _ = x.affine(scale: 2, shift: 1) }
        return 2 * Double(x.count) * 4 / seconds / 1e9
    }
}
