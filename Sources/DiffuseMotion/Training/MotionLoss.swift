import DiffuseNN
import DiffuseTensor

/// The reconstruction and geometric losses of MDM and EMDM on normalised HumanML3D features
/// (MDM's `training_losses`, which EMDM reuses), each a mean square:
///
/// - **reconstruction**: x̂₀ against x₀ over all 263 columns (`rot_mse`);
/// - **positions**: the joint-position block (ric, columns 4–66: joints relative to the root in
///   the heading frame, which `recover_from_ric` turns into world positions) — the joint-position
///   loss of MDM computes positions through SMPL forward kinematics instead;
/// - **velocity**: frame-to-frame differences of the joint-position block (`vel_mse`);
/// - **foot contact**: the predicted velocities of the ankle and foot joints, in units of their
///   feature scale, where the ground truth says the foot is in contact (MDM's `fc`).
public struct MotionLossWeights: Codable, Equatable, Sendable {
    public var reconstruction: Double
    public var positions: Double
    public var velocity: Double
    public var footContact: Double

    public init(reconstruction: Double = 1, positions: Double = 1, velocity: Double = 1, footContact: Double = 1) {
        self.reconstruction = reconstruction
        self.positions = positions
        self.velocity = velocity
        self.footContact = footContact
    }

    /// The weighted sum for predictions `predicted` of targets `target` ([B, L, 263], normalised).
    public func loss<S: TensorScalar>(_ predicted: Variable<S>, _ target: Tensor<S>, normalization: FeatureNormalization) -> Variable<S> {
        var total = Loss.meanSquaredError(predicted, target) * S(reconstruction)
        guard positions != 0 || velocity != 0 || footContact != 0 else { return total }
        precondition(predicted.shape.last == HumanML3DFeatures.width, "the geometric losses read HumanML3D's 263 columns")
        let ric = HumanML3DFeatures.Group.jointPositions.columns
        let p = predicted.slice(axis: 2, ric), t = target.slice(axis: 2, ric)
        if positions != 0 { total = total + Loss.meanSquaredError(p, t) * S(positions) }
        if velocity != 0, predicted.shape[1] > 1 {
            let l = predicted.shape[1]
            let pv = p.slice(axis: 1, 1..<l) - p.slice(axis: 1, 0..<(l - 1))
            let tv = t.slice(axis: 1, 1..<l) - t.slice(axis: 1, 0..<(l - 1))
            total = total + Loss.meanSquaredError(pv, tv) * S(velocity)
        }
        if footContact != 0 {
            let contacts = HumanML3DFeatures.Group.footContacts.columns.lowerBound
            let velocities = HumanML3DFeatures.Group.jointVelocities.columns.lowerBound
            let feet = Skeleton.humanML3DFeet.left + Skeleton.humanML3DFeet.right
            var sum: Variable<S>? = nil
            for (k, joint) in feet.enumerated() {
                let columns = (velocities + 3 * joint)..<(velocities + 3 * joint + 3)
                let mean = Tensor<S>(shape: [3], scalars: columns.map { S(normalization.mean[$0]) })
                let std = Tensor<S>(shape: [3], scalars: columns.map { S(normalization.standardDeviation[$0]) })
                // The raw velocity over its scale: (x̂·σ + μ)/σ = x̂ + μ/σ.
                let raw = predicted.slice(axis: 2, columns) + mean / std
                let c = contacts + k
                let inContact = target.slice(axis: 2, c..<(c + 1)) * S(normalization.standardDeviation[c]) + S(normalization.mean[c])
                let mask = Tensor<S>(shape: inContact.shape, scalars: inContact.scalars.map { $0 > S(0.5) ? S(1) : S(0) })
                let term = (raw * mask).squared().mean()
                sum = sum.map { $0 + term } ?? term
            }
            total = total + sum! * S(footContact / Double(feet.count))
        }
        return total
    }
}
