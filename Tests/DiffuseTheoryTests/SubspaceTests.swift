import DiffuseTensor
@testable import DiffuseTheory
import XCTest

final class SubspaceTests: XCTestCase {
    /// PCA recovers a single subspace from d samples; with d − 1 it cannot.
    func testPrincipalSubspaceRecovery() throws {
        let model = try LowRankGaussianMixture.orthogonalSubspaces(ambientDimension: 20, subspaceDimension: 4, count: 1, key: RandomKey(seed: 1))
        let enough = model.sample(perComponent: 4, key: RandomKey(seed: 2)).samples
        XCTAssertTrue(try SubspaceClustering.recovers([SubspaceClustering.principalSubspace(enough, dimension: 4)], truth: model.bases))
        let few = model.sample(perComponent: 3, key: RandomKey(seed: 2)).samples
        XCTAssertFalse(try SubspaceClustering.recovers([SubspaceClustering.principalSubspace(few, dimension: 4)], truth: model.bases))
    }

    /// K-subspaces finds two orthogonal subspaces from d + 2 samples each; the true bases attain
    /// an objective at least as large as the algorithm's.
    func testKSubspacesRecoversTwoSubspaces() throws {
        let model = try LowRankGaussianMixture.orthogonalSubspaces(ambientDimension: 20, subspaceDimension: 3, count: 2, key: RandomKey(seed: 3))
        let x = model.sample(perComponent: 6, key: RandomKey(seed: 4)).samples
        let fit = try SubspaceClustering.kSubspaces(x, count: 2, dimension: 3, restarts: 10, key: RandomKey(seed: 5))
        let truth = SubspaceClustering.objective(x, bases: model.bases)
        XCTAssertGreaterThanOrEqual(truth.value, fit.objective - 1e-9)
        XCTAssertEqual(fit.objective, truth.value, accuracy: 1e-8 * truth.value, "labels \(fit.labels)")
        XCTAssertTrue(try SubspaceClustering.recovers(fit.bases, truth: model.bases))
    }
}
