import XCTest
@testable import DiffuseTensor

final class BLASRuntimeTests: XCTestCase {
    func testKernelUpgradeDecision() {
        let avx512: Set<String> = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]
        XCTAssertEqual(BLAS.kernelUpgrade(userCoreType: nil, reportedKernel: "Prescott", cpuFeatures: avx512), "SkylakeX")
        XCTAssertEqual(BLAS.kernelUpgrade(userCoreType: nil, reportedKernel: "Prescott", cpuFeatures: ["avx2", "fma"]), "Haswell")
        XCTAssertNil(BLAS.kernelUpgrade(userCoreType: nil, reportedKernel: "Prescott", cpuFeatures: ["sse4_2"]))
        // OpenBLAS recognised the CPU: keep its choice.
        XCTAssertNil(BLAS.kernelUpgrade(userCoreType: nil, reportedKernel: "Zen", cpuFeatures: ["avx2", "fma"]))
        XCTAssertNil(BLAS.kernelUpgrade(userCoreType: nil, reportedKernel: "SkylakeX", cpuFeatures: avx512))
        // A value the user set is always respected.
        XCTAssertNil(BLAS.kernelUpgrade(userCoreType: "Prescott", reportedKernel: "Prescott", cpuFeatures: avx512))
    }

    func testDiagnosticsAndThreads() {
        let d = BLAS.diagnostics
        XCTAssertFalse(d.kernel.isEmpty)
        XCTAssertNotEqual(d.selection, .upgradeRejected)
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil { XCTAssertEqual(d.selection, .userEnvironment) }
        let saved = BLAS.threadCount
        BLAS.threadCount = 1
        XCTAssertEqual(BLAS.threadCount, 1)
        BLAS.threadCount = saved
    }
}
