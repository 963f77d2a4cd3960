import Foundation
import XCTest
@testable import DiffuseSequences

final class SequenceMetricsTests: XCTestCase {
    func testQuantilesSpectraCorrelationAndDiversity() {
        // NumPy: np.quantile([3, 1, 4, 1, 5], [0.5, 0.9]) = [3.0, 4.6].
        XCTAssertEqual(SequenceMetrics.quantile([3, 1, 4, 1, 5], 0.5), 3)
        XCTAssertEqual(SequenceMetrics.quantile([3, 1, 4, 1, 5], 0.9), 4.6, accuracy: 1e-12)
        XCTAssertTrue(SequenceMetrics.quantile([], 0.5).isNaN)
        // ACGTA has the 3-mers ACG, CGT, GTA: codes 6, 27, 44.
        let spectrum = SequenceMetrics.kmerSpectrum([[0, 1, 2, 3, 0]], k: 3)
        XCTAssertEqual(spectrum.count, 64)
        XCTAssertEqual(spectrum[6], 1.0 / 3)
        XCTAssertEqual(spectrum[27], 1.0 / 3)
        XCTAssertEqual(spectrum[44], 1.0 / 3)
        XCTAssertEqual(spectrum.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(SequenceMetrics.correlation([1, 2, 3], [2, 4, 6]), 1, accuracy: 1e-12)
        XCTAssertEqual(SequenceMetrics.correlation([1, 2, 3], [3, 2, 1]), -1, accuracy: 1e-12)
        XCTAssertEqual(SequenceMetrics.threeMerCorrelation([[0, 1, 2, 3, 0, 1]], [[0, 1, 2, 3, 0, 1]]), 1, accuracy: 1e-12)
        // Pairs: (AAAA, AACC) 2/4, (AAAA, CCCC) 4/4, (AACC, CCCC) 2/4 → mean 2/3.
        XCTAssertEqual(SequenceMetrics.meanPairwiseHamming([[0, 0, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]]), 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(SequenceMetrics.meanPairwiseHamming([[0, 1]]), 0)
    }
}
