import DiffuseTensor
import DiffuseTheory
import Foundation

/// The action-to-motion measures of HumanAct12/UESTC evaluation (Guo et al. 2020; MDM's and
/// EMDM's `metrics.py`) on embeddings of a ``MotionClassifier``:
///
/// - **FID**: the Fréchet distance between Gaussian fits of two embedding sets (squared W₂,
///   `GaussianDistances.wasserstein2Squared` of DiffuseTheory);
/// - **diversity**: mean distance between the embeddings of random pairs (300 in the protocol);
/// - **multimodality**: mean distance between random pairs of generations *of the same action*
///   (20 pairs per action), averaged over actions;
/// - **accuracy**: the fraction of generations the classifier labels with the asked action.
public enum MotionEvaluation {
    public static func frechetDistance(_ a: [[Double]], _ b: [[Double]]) throws -> Double {
        func fit(_ x: [[Double]]) -> (mean: [Double], covariance: Tensor<Double>) {
            let t = Tensor<Double>(shape: [x.count, x[0].count], scalars: x.joined())
            return (SampleMoments.mean(t), SampleMoments.covariance(t))
        }
        guard a.count > 1, b.count > 1, let d = a.first?.count, d > 0, a.allSatisfy({ $0.count == d }), b.allSatisfy({ $0.count == d }) else {
            throw MotionFileError(path: "<evaluation>", reason: "FID needs two sets of at least 2 embeddings of one size")
        }
        let (m0, c0) = fit(a), (m1, c1) = fit(b)
        return try GaussianDistances.wasserstein2Squared(mean0: m0, covariance0: c0, mean1: m1, covariance1: c1)
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() }

    /// Mean distance over `pairs` random pairs (indices from `key`).
    public static func diversity(_ embeddings: [[Double]], pairs: Int = 300, key: RandomKey) -> Double {
        guard embeddings.count > 1 else { return 0 }
        var r = RandomStream(key: key)
        var total = 0.0
        for _ in 0..<pairs {
            let i = r.integer(below: embeddings.count)
            var j = r.integer(below: embeddings.count - 1)
            if j >= i { j += 1 }
            total += distance(embeddings[i], embeddings[j])
        }
        return total / Double(pairs)
    }

    /// Mean distance between random pairs within each action, averaged over the actions that have
    /// at least two embeddings.
    public static func multimodality(_ embeddings: [[Double]], labels: [Int], pairsPerAction: Int = 20, key: RandomKey) -> Double {
        let groups = Dictionary(grouping: embeddings.indices, by: { labels[$0] }).filter { $0.value.count > 1 }
        guard !groups.isEmpty else { return 0 }
        var total = 0.0
        for (action, members) in groups.sorted(by: { $0.key < $1.key }) {
            total += diversity(members.map { embeddings[$0] }, pairs: pairsPerAction, key: key.folding(in: action))
        }
        return total / Double(groups.count)
    }

    /// The fraction of equal entries.
    public static func accuracy(_ predictions: [Int], _ labels: [Int]) -> Double {
        guard !labels.isEmpty else { return 0 }
        return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }
}
