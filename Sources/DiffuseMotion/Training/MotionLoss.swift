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
///   feature scale, where the ground truth says the foot is in contact (MDM's `fc`);
/// - **foot slide**: the horizontal world-frame displacement of the same joints from frame t to
///   t + 1 where the ground truth has the foot in contact at both, as `recover_from_ric` (and so
///   the foot-skating metric) reconstructs it from the root's rotation and linear velocities and
///   the ric block (``footSteps(_:normalization:)``), in units of the joint's velocity scale. The
///   foot-contact term reads the velocity block, which a generated sample need not keep consistent
///   with the root and ric blocks that the positions come from; this term reads those. Not in MDM
///   or EMDM; 0 by default (and in configurations written before it existed).
public struct MotionLossWeights: Codable, Equatable, Sendable {
    public var reconstruction: Double
    public var positions: Double
    public var velocity: Double
    public var footContact: Double
    public var footSlide: Double

    public init(reconstruction: Double = 1, positions: Double = 1, velocity: Double = 1, footContact: Double = 1, footSlide: Double = 0) {
        self.reconstruction = reconstruction
        self.positions = positions
        self.velocity = velocity
        self.footContact = footContact
        self.footSlide = footSlide
    }

    enum CodingKeys: String, CodingKey { case reconstruction, positions, velocity, footContact, footSlide }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(reconstruction: try c.decode(Double.self, forKey: .reconstruction), positions: try c.decode(Double.self, forKey: .positions),
                  velocity: try c.decode(Double.self, forKey: .velocity), footContact: try c.decode(Double.self, forKey: .footContact),
                  footSlide: try c.decodeIfPresent(Double.self, forKey: .footSlide) ?? 0)
    }

    /// The weighted sum for predictions `predicted` of targets `target` ([B, L, 263], normalised).
    public func loss<S: TensorScalar>(_ predicted: Variable<S>, _ target: Tensor<S>, normalization: FeatureNormalization) -> Variable<S> {
        var total = Loss.meanSquaredError(predicted, target) * S(reconstruction)
        guard positions != 0 || velocity != 0 || footContact != 0 || footSlide != 0 else { return total }
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
        let feet = Skeleton.humanML3DFootJoints
        let velocities = HumanML3DFeatures.Group.jointVelocities.columns.lowerBound
        if footContact != 0 {
            var sum: Variable<S>? = nil
            for (k, joint) in feet.enumerated() {
                let columns = (velocities + 3 * joint)..<(velocities + 3 * joint + 3)
                let mean = Tensor<S>(shape: [3], scalars: columns.map { S(normalization.mean[$0]) })
                let std = Tensor<S>(shape: [3], scalars: columns.map { S(normalization.standardDeviation[$0]) })
                // The raw velocity over its scale: (x̂·σ + μ)/σ = x̂ + μ/σ.
                let raw = predicted.slice(axis: 2, columns) + mean / std
                let mask = Tensor<S>(shape: [predicted.shape[0], predicted.shape[1], 1],
                                     scalars: Self.contacts(target, foot: k, normalization: normalization).map { $0 ? 1 : 0 })
                let term = (raw * mask).squared().mean()
                sum = sum.map { $0 + term } ?? term
            }
            total = total + sum! * S(footContact / Double(feet.count))
        }
        if footSlide != 0, predicted.shape[1] > 1 {
            let l = predicted.shape[1]
            var sum: Variable<S>? = nil
            for (k, step) in Self.footSteps(predicted, normalization: normalization).enumerated() {
                let inContact = Self.contacts(target, foot: k, normalization: normalization)
                let both = (0..<(predicted.shape[0] * (l - 1))).map { i -> S in
                    let (b, t) = i.quotientAndRemainder(dividingBy: l - 1)
                    return inContact[b * l + t] && inContact[b * l + t + 1] ? 1 : 0
                }
                let mask = Tensor<S>(shape: [predicted.shape[0], l - 1], scalars: both)
                let column = velocities + 3 * feet[k]
                let sx = normalization.standardDeviation[column], sz = normalization.standardDeviation[column + 2]
                let scale = S(((sx * sx + sz * sz) / 2).squareRoot())
                let term = ((step.x.squared() + step.z.squared()) * (mask / (scale * scale))).mean()
                sum = sum.map { $0 + term } ?? term
            }
            total = total + sum! * S(footSlide / Double(feet.count))
        }
        return total
    }

    /// Whether the ground truth `target` ([B, L, 263], normalised) has foot joint k of
    /// `Skeleton.humanML3DFootJoints` in contact (its contact column, denormalised, above ½), for
    /// every row in the order b·L + t.
    static func contacts<S: TensorScalar>(_ target: Tensor<S>, foot k: Int, normalization: FeatureNormalization) -> [Bool] {
        let c = HumanML3DFeatures.Group.footContacts.columns.lowerBound + k
        return (target.slice(axis: 2, c..<(c + 1)) * S(normalization.standardDeviation[c]) + S(normalization.mean[c])).scalars.map { $0 > S(0.5) }
    }

    /// The horizontal world-frame displacements (metres) of the foot joints
    /// (`Skeleton.humanML3DFootJoints`) from frame t to t + 1 of normalised features
    /// [B, L, 263]: `x` and `z`, each [B, L − 1], in the order of the feet.
    ///
    /// With the heading angle a_t = Σ_{s<t} ṙ_s (root rotation velocities, column 0), R_t the
    /// rotation by −2a_t about the vertical (the inverse of `recover_root_rot_pos`'s quaternion
    /// (cos a, 0, sin a, 0)), p_t a joint's ric offset and v_t the root's linear velocity
    /// (columns 1–2), the world position is R_t·p_t plus the root's ground point, which moves by
    /// R_{t+1}·v_t; so the displacement is R_{t+1}(p_{t+1} + v_t) − R_t·p_t.
    public static func footSteps<S: TensorScalar>(_ predicted: Variable<S>, normalization: FeatureNormalization) -> [(x: Variable<S>, z: Variable<S>)] {
        let b = predicted.shape[0], l = predicted.shape[1]
        precondition(predicted.rank == 3 && predicted.shape[2] == HumanML3DFeatures.width && l > 1, "footSteps reads [B, L > 1, 263] features")
        func raw(_ c: Int) -> Variable<S> {
            predicted.slice(axis: 2, c..<(c + 1)).reshaped([b, l]) * S(normalization.standardDeviation[c]) + S(normalization.mean[c])
        }
        let before = Tensor<S>(shape: [l, l], scalars: (0..<(l * l)).map { i in i / l < i % l ? 1 : 0 })   // [s, t] = 1 for s < t
        let angle = matmul(raw(0), Variable(before)) * S(-2)
        let cosine = angle.cos(), sine = angle.sin()
        let now = 0..<(l - 1), next = 1..<l
        func rotated(_ x: Variable<S>, _ z: Variable<S>, _ frames: Range<Int>) -> (x: Variable<S>, z: Variable<S>) {
            let c = cosine.slice(axis: 1, frames), s = sine.slice(axis: 1, frames)
            return (c * x + s * z, c * z - s * x)
        }
        let vx = raw(1).slice(axis: 1, now), vz = raw(2).slice(axis: 1, now)
        return Skeleton.humanML3DFootJoints.map { joint in
            let column = HumanML3DFeatures.Group.jointPositions.columns.lowerBound + 3 * (joint - 1)
            let px = raw(column), pz = raw(column + 2)
            let later = rotated(px.slice(axis: 1, next) + vx, pz.slice(axis: 1, next) + vz, next)
            let earlier = rotated(px.slice(axis: 1, now), pz.slice(axis: 1, now), now)
            return (later.x - earlier.x, later.z - earlier.z)
        }
    }
}
